"""What cirrus-api and cirrus-placement refuse before they fork workers."""

import pytest

from cirrus.cmd import api, placement

PG = "postgresql+psycopg2://postgres@127.0.0.1/x"
CASES = {
    "api workers need Placement elsewhere": (
        api, f"[wsgi]\nworkers = 2\n[api_database]\nconnection = {PG}\n", "endpoint_override"),
    "api workers need a database server": (
        api, "[wsgi]\nworkers = 2\n[api_database]\nconnection = sqlite:///{tmp}/api.db\n"
             "[placement]\nendpoint_override = http://127.0.0.1:1\n", "SQLite"),
    "placement on SQLite takes one worker": (
        placement, "[placement_database]\nconnection = sqlite:///{tmp}/p.db\n"
                   "[placement_wsgi]\nworkers = 2\n", "PostgreSQL or MariaDB"),
    "placement needs its database": (placement, "", "connection is not set"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_before_forking(tmp_path, case):
    module, body, message = CASES[case]
    path = tmp_path / "cirrus.conf"
    path.write_text(body.replace("{tmp}", str(tmp_path)) + "[token]\nsigning_key = k\n")
    with pytest.raises(SystemExit, match=message):
        module.main(["--config-file", str(path)])
