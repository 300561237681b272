"""The mltrail server: the REST API on MLflow's wire protocol, the artifact proxy and the web UI."""
