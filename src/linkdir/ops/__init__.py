"""Running linkdir for years: health endpoints, Prometheus metrics, structured logs."""
