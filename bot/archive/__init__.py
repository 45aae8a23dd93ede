"""The public web archive's Discord side: consent commands and channel visibility tracking."""
