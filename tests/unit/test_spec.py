"""The cluster spec file: loading, every error message, --hosts selection, and the TOML writer."""

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glustercheck.brick import parse_brick
from glustercheck.errors import SpecError
from glustercheck.inputs import option_key_problem, option_value_problem, user_problem
from glustercheck.spec import (
    ClusterSpec,
    ConnectionSpec,
    Node,
    NodeDefaults,
    VolumeSpec,
    default_spec,
    dump_spec,
    load_spec,
    loads_spec,
    with_hosts,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "rpi-cluster.toml"
RPIS = ("rpi0", "rpi1", "rpi2", "rpi3")
FOUR_NODES = "".join(f'[[nodes]]\nname = "{n}"\naddress = "10.0.1.{i}"\n' for i, n in enumerate(RPIS))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cluster.toml"
    path.write_text(text)
    return path


def test_example_spec_loads() -> None:
    spec = load_spec(EXAMPLE)
    assert [n.name for n in spec.nodes] == list(RPIS)
    assert spec.nodes[0] == Node("rpi0", "10.0.1.0", "pi", True)  # port: ssh_config, else 22
    assert spec.connection.ssh_config == Path.home() / ".ssh" / "config"
    (gv,) = spec.volumes
    assert (gv.name, gv.replica, gv.options) == ("gv", 2, {"cluster.granular-entry-heal": "on"})
    assert tuple(map(str, gv.brick_list(spec.nodes))) == tuple(f"{n}:/mnt/usb/gv" for n in RPIS)


def test_full_schema(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[connection]
ssh_config = "ssh_config"
identity_file = "keys/id"
known_hosts = "/etc/ssh/known"
strict_host_keys = false
connect_timeout = 2.5
command_timeout = 30
[defaults]
user = "pi"
sudo = true
port = 2222
[[nodes]]
name = "rpi0"
address = "10.0.1.0"
[[nodes]]
name = "rpi1"
user = "root"
sudo = false
port = 22
[[volumes]]
name = "gv2"
replica = 3
arbiter = 1
bricks = ["rpi0:/b/1", "rpi1:/b/1", "10.0.1.0:/b/2"]
transport = "tcp,rdma"
force = true
options = { "network.ping-timeout" = 10, "performance.quick-read" = false }
[[volumes]]
name = "ec"
replica = 0
disperse = 3
redundancy = 1
stripe = 0
brick_path = "/bricks/ec"
""",
    )
    spec = load_spec(path)
    assert spec.source == path
    assert spec.connection == ConnectionSpec(
        tmp_path / "ssh_config", tmp_path / "keys/id", Path("/etc/ssh/known"), False, 2.5, 30.0
    )
    assert spec.defaults == NodeDefaults("pi", True, 2222)
    assert spec.nodes == (
        Node("rpi0", "10.0.1.0", "pi", True, 2222),
        Node("rpi1", None, "root", False, 22),
    )
    gv2, ec = spec.volumes
    assert tuple(map(str, gv2.brick_list(spec.nodes))) == ("rpi0:/b/1", "rpi1:/b/1", "10.0.1.0:/b/2")
    assert gv2.options == {"network.ping-timeout": "10", "performance.quick-read": "off"}
    assert (gv2.arbiter, gv2.transport, gv2.force) == (1, "tcp,rdma", True)
    assert (ec.replica, ec.disperse, ec.redundancy) == (0, 3, 1)
    assert tuple(map(str, ec.brick_list(spec.nodes))) == ("rpi0:/bricks/ec", "rpi1:/bricks/ec")


def test_empty_file_is_an_empty_cluster(tmp_path: Path) -> None:
    assert load_spec(write(tmp_path, "")) == ClusterSpec((), (), source=tmp_path / "cluster.toml")


def test_relative_spec_path_resolves_against_its_directory(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.toml").write_text('[connection]\nknown_hosts = "kh"\n')
    monkeypatch.chdir(tmp_path)
    assert load_spec("sub/c.toml").connection.known_hosts == tmp_path / "sub" / "kh"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[conection]\n", "conection: unknown key; did you mean 'connection'?"),
        (
            "[connection]\nconnect_timout = 5\n",
            "connection.connect_timout: unknown key; did you mean 'connect_timeout'?",
        ),
        (
            '[[nodes]]\nname = "a"\nzzz = 1\n',
            "nodes[0].zzz: unknown key; known keys: name, address, user, sudo, sudo_user, port, proxy_jump",
        ),
        ("[[volumes]]\nreplika = 2\n", "volumes[0].replika: unknown key; did you mean 'replica'?"),
        ("connection = 3\n", "connection: expected a table, got an integer"),
        ("nodes = 3\n", "nodes: expected an array of tables ([[nodes]]), got an integer"),
        ("volumes = {}\n", "volumes: expected an array of tables ([[volumes]]), got a table"),
        ("nodes = [1]\n", "nodes[0]: expected a table, got an integer"),
        (
            "[connection]\nconnect_timeout = '5'\n",
            "connection.connect_timeout: expected an integer or a number, got a string",
        ),
        (
            "[connection]\nconnect_timeout = 0\n",
            "connection.connect_timeout: must be a positive number of seconds, got 0",
        ),
        (
            "[connection]\ncommand_timeout = inf\n",
            "connection.command_timeout: must be a positive number of seconds, got inf",
        ),
        (
            "[connection]\nstrict_host_keys = 1\n",
            "connection.strict_host_keys: expected a boolean, got an integer",
        ),
        ("[connection]\nssh_config = ''\n", "connection.ssh_config: empty path"),
        ("[defaults]\nport = true\n", "defaults.port: expected an integer, got a boolean"),
        ("[defaults]\nport = 70000\n", "defaults.port: 70000 is not a TCP port (1-65535)"),
        ("[defaults]\nuser = ' '\n", "defaults.user: ' ' contains a space at position 1"),
        ("[defaults]\nsudo = 'yes'\n", "defaults.sudo: expected a boolean, got a string"),
        ("[[nodes]]\naddress = '10.0.1.0'\n", "nodes[0].name: missing (every node needs a name)"),
        ("[[nodes]]\nname = 7\n", "nodes[0].name: expected a string, got an integer"),
        ("[[nodes]]\nname = 'rpi_0'\n", "nodes[0].name: 'rpi_0' has the label 'rpi_0': labels are"),
        ("[[nodes]]\nname = '-rpi'\n", "nodes[0].name: '-rpi' has the label '-rpi'"),
        ("[[nodes]]\nname = ''\n", "nodes[0].name: '' is 0 characters long"),
        (
            "[[nodes]]\nname = 'rpi0'\n[[nodes]]\nname = 'RPI0'\n",
            "nodes[1].name: 'RPI0' is already nodes[0].name",
        ),
        (
            "[[nodes]]\nname = 'a'\naddress = '10.0.1.256'\n",
            "nodes[0].address: '10.0.1.256' is not an IPv4 or IPv6 address",
        ),
        (
            "[[nodes]]\nname = 'a'\naddress = 'rpi0'\n",
            "nodes[0].address: 'rpi0' is not an IPv4 or IPv6 address",
        ),
        (
            "[[nodes]]\nname = 'a'\naddress = '127.0.0.1'\n",
            "nodes[0].address: '127.0.0.1' is a loopback/unspecified address",
        ),
        (
            "[[nodes]]\nname = 'a'\naddress = '10.0.1.1'\n[[nodes]]\nname = 'b'\naddress = '10.0.1.1'\n",
            "nodes[1].address: '10.0.1.1' is already nodes[0].address",
        ),
        (
            "[[volumes]]\nname = '-gv'\n",
            "volumes[0].name: '-gv' is not a gluster volume name: it starts with '-'",
        ),
        (
            "[[volumes]]\nname = 'g v'\n",
            "volumes[0].name: 'g v' is not a gluster volume name: it contains a space at position 2",
        ),
        (f"[[volumes]]\nname = '{'v' * 256}'\n", "is 256 characters long; glusterd stores at most 255"),
        (
            "[[volumes]]\nname = 'gv'\n[[volumes]]\nname = 'gv'\n",
            "volumes[1].name: 'gv' is already volumes[0].name",
        ),
        ("[[volumes]]\nreplica = -1\n", "volumes[0].replica: must be at least 0, got -1"),
        ("[[volumes]]\narbiter = 1.0\n", "volumes[0].arbiter: expected an integer, got a float"),
        (
            "[[volumes]]\nbrick_path = 'mnt/usb/gv'\n",
            "volumes[0].brick_path: 'mnt/usb/gv' is not an absolute path",
        ),
        ("[[volumes]]\nbricks = 'rpi0:/b'\n", "volumes[0].bricks: expected an array, got a string"),
        (
            "[[volumes]]\nbricks = [1]\n",
            "volumes[0].bricks[0]: expected a string HOST:/path, got an integer",
        ),
        (
            FOUR_NODES + "[[volumes]]\nbricks = ['rpi0:b']\n",
            "volumes[0].bricks[0]: 'rpi0:b' is not HOST:/absolute/path",
        ),
        (
            FOUR_NODES + "[[volumes]]\nbricks = ['rpi0:/b', 'rpi9:/b']\n",
            "volumes[0].bricks[1]: host 'rpi9' of brick 'rpi9:/b' is not a node"
            " (known: rpi0, rpi1, rpi2, rpi3)",
        ),
        (
            "[[volumes]]\ntransport = 'udp'\n",
            "volumes[0].transport: 'udp' is not one of tcp, rdma, tcp,rdma",
        ),
        ("[[volumes]]\nforce = 'yes'\n", "volumes[0].force: expected a boolean, got a string"),
        (
            "[[volumes]]\noptions = { a = [1] }\n",
            "volumes[0].options.'a': expected a string, got an array",
        ),
        ("[[volumes]]\noptions = 'x'\n", "volumes[0].options: expected a table, got a string"),
        ("[[nodes]\nname = 'a'\n", "TOML syntax error"),
        ("a = 1\nb = \n", "(at line 2"),
    ],
)
def test_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"missing\.toml: cannot read the cluster spec"):
        load_spec(tmp_path / "missing.toml")


def test_node_lookup() -> None:
    spec = load_spec(EXAMPLE)
    assert spec.node("RPI2").address == "10.0.1.2"
    with pytest.raises(
        SpecError,
        match=r"rpi-cluster\.toml: no node named 'rpi9'; known nodes: rpi0, rpi1, rpi2, rpi3",
    ):
        spec.node("rpi9")


def test_default_spec_is_the_how_to() -> None:
    spec = default_spec(["rpi0", "rpi1", "paramiko://pi@rpi2:2222?sudo=true", "10.0.1.3"])
    assert spec.nodes == (
        Node("rpi0", None),  # everything else: ssh_config, then defaults (sudo when not root)
        Node("rpi1", None),
        Node("rpi2", None, "pi", True, 2222),
        Node("10.0.1.3", "10.0.1.3"),
    )
    assert spec.volumes == (VolumeSpec(),)
    assert str(spec.volumes[0].brick_list(spec.nodes)[0]) == "rpi0:/mnt/usb/gv"
    assert (spec.volumes[0].name, spec.volumes[0].replica) == ("gv", 2)


def test_with_hosts_order_selection_and_new_nodes() -> None:
    spec = load_spec(EXAMPLE)
    chosen = with_hosts(spec, ["rpi3", "10.0.1.1", "ssh://root@rpi7?sudo=false"])
    assert [n.name for n in chosen.nodes] == ["rpi3", "rpi1", "rpi7"]  # --hosts order wins
    assert chosen.nodes[2] == Node("rpi7", None, "root", False)  # [defaults], then --hosts
    assert tuple(map(str, chosen.volumes[0].brick_list(chosen.nodes))) == (
        "rpi3:/mnt/usb/gv",
        "rpi1:/mnt/usb/gv",
        "rpi7:/mnt/usb/gv",
    )
    assert with_hosts(spec, []) is spec


def test_with_hosts_overrides_from_the_command_line() -> None:
    spec = load_spec(EXAMPLE)
    (node,) = with_hosts(spec, ["paramiko://admin@rpi0:2200?sudo=false"]).nodes
    assert node == Node("rpi0", "10.0.1.0", "admin", False, 2200)


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        (["rpi0", "10.0.1.0"], "--hosts: '10.0.1.0' names node 'rpi0' a second time"),
        (["rpi_9"], "--hosts: host 'rpi_9': 'rpi_9' has the label 'rpi_9'"),
        (
            ["paramiko://rpi9:99999"],
            "--hosts: host 'paramiko://rpi9:99999': port '99999' is not a number from 1 to 65535",
        ),
    ],
)
def test_with_hosts_errors(hosts: list[str], message: str) -> None:
    with pytest.raises(SpecError) as info:
        with_hosts(load_spec(EXAMPLE), hosts)
    assert message in str(info.value)


def test_with_hosts_refuses_to_drop_explicit_brick_hosts(tmp_path: Path) -> None:
    path = write(tmp_path, FOUR_NODES + "[[volumes]]\nbricks = ['rpi0:/b', 'rpi1:/b']\n")
    spec = load_spec(path)
    assert [n.name for n in with_hosts(spec, ["rpi1", "rpi0"]).nodes] == ["rpi1", "rpi0"]
    with pytest.raises(SpecError) as info:
        with_hosts(spec, ["rpi0", "rpi2"])
    assert str(info.value) == (
        f"{path}: volumes[0].bricks: 'rpi1:/b' is on 'rpi1', which --hosts leaves out;"
        " add it to --hosts or drop --hosts"
    )


def test_dump_round_trips_the_example(tmp_path: Path) -> None:
    spec = load_spec(EXAMPLE)
    text = dump_spec(spec)
    again = load_spec(write(tmp_path, text))
    assert again == replace(spec, source=again.source)
    assert 'user = "pi"' in text
    assert text.count("user =") == 1  # nodes inherit [defaults] instead of repeating them


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_keys = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,11}", fullmatch=True)


@given(
    # any value the spec accepts survives the round trip (quotes, backslashes, unicode included)
    options=st.dictionaries(_keys.filter(lambda k: not option_key_problem(k)),
                            _text.filter(lambda v: not option_value_problem(v)), max_size=4),
    user=st.one_of(st.none(), st.from_regex(r"[a-z_][a-z0-9_.-]{0,10}", fullmatch=True)
                   .filter(lambda u: not user_problem(u))),
    timeout=st.floats(0.001, 1e6),
    bricks=st.booleans(),
)
def test_dump_round_trips_any_spec(options, user, timeout, bricks) -> None:
    nodes = (Node("rpi0", "10.0.1.0", user, True, 22), Node("rpi1", "fd00::1", "x", False, 2222))
    volume = VolumeSpec(
        name="gv_1",
        replica=3,
        arbiter=1,
        options=options,
        force=True,
        bricks=tuple(map(parse_brick, ("rpi0:/a_b", "10.0.1.0:/c", "rpi1:/d"))) if bricks else None,
    )
    connection = ConnectionSpec(Path('/etc/x y"z'), None, Path("/k"), False, timeout, timeout)
    spec = ClusterSpec(nodes, (volume, VolumeSpec()), connection, None, NodeDefaults(user, True, 22))
    assert loads_spec(dump_spec(spec)) == spec
