"""Invented demo data for `eapcase demo`: reference data, people, and months of case history
planned in advance (`stories`) and then written through the services (`execute`).

Nothing here is real: names come from Faker with a fixed seed, numbers from reserved fictional
ranges, addresses from the example.* domains."""
