"""The installed mltrail version."""

VERSION = "0.1.0"
