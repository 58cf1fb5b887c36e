"""Public test kit: emulators and helpers users can import for their own tests."""
