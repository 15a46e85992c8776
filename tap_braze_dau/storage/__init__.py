"""Object storage: the one place the tap reads files from a bucket or a local folder.

Braze writes Currents into the customer's own bucket, and the user exports too when the
workspace has one: both read it through here. One library (obstore, Rust's
`object_store`) speaks Amazon S3, Google Cloud Storage, Azure Blob Storage and local
folders alike, so every store is listed, read and refused the same way:

- `location.py`: the URL a setting names (`s3://bucket/prefix`, `gs://`, `az://`,
  `file://` or a plain path) as a `Location`;
- `options.py`: the storage options a setting holds (credentials, endpoint), checked and
  turned into the library's configuration; where the credentials come from;
- `aws_profile.py`: an AWS CLI profile's keys and region from `~/.aws/credentials` and
  `~/.aws/config`, which the library does not read itself;
- `store.py`: `ObjectStorage`, listing (only past a key, for incremental reads), reading
  a file's first bytes, downloading one to disk; every failure a `StorageError` naming
  the bucket, the operation and the credentials' source, never a secret;
- `scratch.py`: the run's scratch folder for downloads, and what killed runs left behind.
"""
