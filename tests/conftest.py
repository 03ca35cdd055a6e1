"""Shared pytest set-up."""


def pytest_addoption(parser):
    parser.addoption("--compute-driver", default="fake", choices=("fake", "local"),
                     help="driver of the compute hosts of the functional deployment")
