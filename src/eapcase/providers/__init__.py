"""Provider side of a case: provider contacts, interventions, completed case notes."""
