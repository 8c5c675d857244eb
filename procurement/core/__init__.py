"""The ground floor every app shares: base models, the one error base, the one state machine."""
