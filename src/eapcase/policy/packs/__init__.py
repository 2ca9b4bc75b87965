"""Policy packs shipped with eapcase: one TOML file per policy revision (see ../README.md)."""
