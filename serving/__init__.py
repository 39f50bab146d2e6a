"""Running the web apps as services: waitress (the kiosk), uvicorn (the panel), and systemd's
readiness and watchdog notifications."""
