"""Local stand-ins of outside services, for the demo and the tests (never for production)."""
