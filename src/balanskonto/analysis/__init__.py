"""What the results say: sensitivity (and, later, follow-up and calibration)."""
