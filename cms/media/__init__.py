"""The media library: files in a storage backend (local folder or S3), their metadata and renditions."""
