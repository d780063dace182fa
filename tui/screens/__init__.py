"""Modal screens: help, export, open a file, pick a device, go to an offset."""
