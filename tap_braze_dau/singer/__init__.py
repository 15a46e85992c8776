"""The Singer side: the settings (`settings`), the stream machinery that reads the
declarations (`stream`), `--test` (`connection_test`) and the only two places that
override singer-sdk internals (`sdk_hooks`). The tap itself is `tap_braze_dau.tap`."""
