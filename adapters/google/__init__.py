"""The Google Calendar adapter (and its embedded Calendar v3 service, in ``emulator``)."""
