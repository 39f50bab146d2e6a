"""Running the web apps as services: waitress, and systemd's readiness and watchdog notifications."""
