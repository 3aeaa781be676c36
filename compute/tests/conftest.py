"""pytest configuration of the compute tests."""


def pytest_configure(config):
    # Registered here rather than in pyproject.toml, whose hash stamps the Python environment.
    config.addinivalue_line(
        "markers",
        "slow: over 30 s of wall time by design (a 35 s stop checkpoint under torchrun); runs by default, "
        "deselect with -m 'not slow'",
    )
