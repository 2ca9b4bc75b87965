"""eapcase: case management for Employee Assistance Programme partner networks."""

__version__ = "0.1.0"
