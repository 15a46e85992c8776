"""Planning and state: which days a series needs and how they are cut into requests
(`windows`, `jobs`), the run's one plan over every selected series (`run`), parallel
requests handed back in order (`ordered`), checking the rows of a window (`rows`),
reading `--state` (`bookmarks`) and when to write STATE (`checkpoints`)."""
