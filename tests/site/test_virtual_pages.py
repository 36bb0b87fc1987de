"""Open vSwitch, CNI and container identity on real, strict site builds: linked, labelled, escaped.

Input: tests/fixtures/model/virtual-01.json (captured, see tests/fixtures/README.md), and a copy
whose OVS and CNI names are hostile Markdown/HTML/Jinja2 (names the capture copies verbatim from
OVSDB and from /etc/cni/net.d).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from site_fixtures import REPO, ready_as_markdown

from netstack_docs.site.build import build_site

FIXTURE = REPO / "tests" / "fixtures" / "model" / "virtual-01.json"
HOSTILE = "x|<b>{{7*7}}`[l](u)"


def _build(tmp: Path, doc: dict, env: str = "lab", host: str = "virtual-01") -> Path:
    snaps = tmp / "snapshots" / env
    snaps.mkdir(parents=True)
    (snaps / f"{host}.json").write_text(json.dumps(doc))
    (tmp / "project").mkdir()  # a docs repository with no settings and no pages of its own
    build_site(tmp / "snapshots", tmp / "site", build_dir=tmp / "build", project_dir=tmp / "project")
    return tmp / "build" / "docs" / env / host


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("virtual"), json.loads(FIXTURE.read_text()))


def test_cni_network_links_the_bridge_it_declares_on_tooling_and_namespaces(pages: Path) -> None:
    tooling = ready_as_markdown((pages / "tooling.md").read_text())
    assert "Bridge it declares: [cni0](virtual.md#link-root--cni0)" in tooling
    namespaces = ready_as_markdown((pages / "namespaces.md").read_text())
    assert "## CNI network for pods" in namespaces
    assert "Bridge it declares: [cni0](virtual.md#link-root--cni0)" in namespaces


def test_pods_and_containers_are_named_after_what_runs_in_them(pages: Path) -> None:
    namespaces = ready_as_markdown((pages / "namespaces.md").read_text())
    assert re.search(r"\{ #netns-pod-shop-web-7d9f-[0-9a-f]{8} \}$", namespaces, re.M)  # a heading's id
    assert "In the pod shop/web\\-7d9f\\." in namespaces  # ready HTML, spelt as Markdown
    assert "In the container registry \\(registry:2\\)\\." in namespaces


def test_ovs_bridges_ports_and_flow_tables_have_name_anchors_and_links(pages: Path) -> None:
    virtual = ready_as_markdown((pages / "virtual.md").read_text())
    for anchor in (
        "ovsbridge-host--br-int",
        "ovsport-host--br-tun--vxlan-0a00000c",
        "ovsport-host--br-int--patch-tun",
        "ovstable-host--br-tun--table-22",
    ):
        assert f'id="{anchor}"' in virtual or f"{{ #{anchor} }}" in virtual, anchor
    assert "Peer patch port: [patch\\-int on br\\-tun](virtual.md#ovsport-host--br-tun--patch-int)" in virtual
    assert "ovs-appctl ofproto/trace br-int in_port=tap3f1c-01" in virtual
    assert "ovs-ofctl dump-flows br-tun table=22" in virtual


def test_hostile_ovs_and_cni_names_stay_text(tmp_path: Path) -> None:
    doc = json.loads(FIXTURE.read_text())
    br = doc["ovs"]["bridges"][0]
    br["name"] = HOSTILE
    br["ports"][0]["name"] = HOSTILE + "-port"
    br["flows"] = [
        {"table": 0, "priority": 1, "cookie": "0x0", "match": f"in_port={HOSTILE}", "actions": "drop"}
    ]
    doc["cni"]["networks"][0]["name"] = HOSTILE
    doc["cni"]["networks"][0]["plugins"][0]["bridge"] = HOSTILE
    page = _build(tmp_path, doc)
    html = (tmp_path / "site" / "lab" / "virtual-01" / "virtual" / "index.html").read_text()
    tooling = (tmp_path / "site" / "lab" / "virtual-01" / "tooling" / "index.html").read_text()
    for text in (html, tooling):
        assert "<b>{{" not in text and "x|<b>" not in text  # no element made of a name
        assert "x|&lt;b&gt;{{7*7}}" in text  # the name, as text, Jinja2 syntax not evaluated
    assert "x|&lt;b&gt;{{7*7}}`[l](u)-port" in html  # the port, and the flow table's flows
    assert "in_port=x|&lt;b&gt;{{7*7}}" in html
    assert "Bridge it declares" in ready_as_markdown((page / "tooling.md").read_text())


def test_cni_plugin_settings_are_shown_as_the_file_spells_them(pages: Path) -> None:
    tooling = ready_as_markdown((pages / "tooling.md").read_text())
    row = next(line for line in tooling.splitlines() if line.startswith("| Plugin settings \\(in order\\) |"))
    for words in ("bridge: bridge cni0", "isGateway true", "ipMasq true", "hairpinMode true",
                  "ipam\\.type host\\-local", "ipam\\.ranges 10\\.88\\.0\\.0/16",
                  "ipam\\.routes 0\\.0\\.0\\.0/0",
                  "portmap: capabilities\\.portMappings true"):
        assert words in row, words


def _flannel(doc: dict) -> dict:
    doc["cni"]["networks"][0]["plugins"][0] = {
        "type": "flannel", "delegate": {"bridge": "cni0", "hairpinMode": True, "isDefaultGateway": True}
    }
    return doc


def test_flannels_subnet_file_is_shown_or_listed_as_a_gap(tmp_path: Path) -> None:
    doc = _flannel(json.loads(FIXTURE.read_text()))
    doc["cni"]["flannel"] = {"file": "/run/flannel/subnet.env", "network": "10.88.0.0/16",
                             "subnet": "10.88.0.1/24", "mtu": 1450, "ipmasq": True, "other_fields": []}
    page = _build(tmp_path / "with", doc)
    tooling = ready_as_markdown((page / "tooling.md").read_text())
    assert ("From flanneld's subnet file | network 10\\.88\\.0\\.0/16, subnet 10\\.88\\.0\\.1/24, MTU 1450, "
            "ipmasq true \\(from /run/flannel/subnet\\.env\\)") in tooling
    assert "cni flannel subnet file" not in ready_as_markdown((page / "index.md").read_text())
    # a snapshot from a capture that did not read the file: the host page lists it as a gap
    page = _build(tmp_path / "without", _flannel(json.loads(FIXTURE.read_text())))
    host = ready_as_markdown((page / "index.md").read_text())
    assert "cni flannel subnet file /run/flannel/subnet\\.env" in host
    assert "Capture gaps: None" not in host


def test_an_ovs_ports_external_ids_and_macs_are_on_its_section(pages: Path) -> None:
    virtual = ready_as_markdown((pages / "virtual.md").read_text())
    section = virtual.split("{ #ovsport-host--br-int--tap8a2e-02 }", 1)[1].split("\n### ", 1)[0]
    assert "| MAC attached \\(external\\_ids attached\\-mac\\) | fa:16:3e:00:00:02 |" in section
    iface_id = "8a2e\\-aaaa\\-4bbb\\-8ccc\\-000000000002"
    assert f"| Logical port \\(external\\_ids iface\\-id\\) | {iface_id} |" in section
    assert "| VM \\(external\\_ids vm\\-uuid\\) | 8a2e\\-1111\\-4222\\-8333\\-000000000002 |" in section
    assert "| Status \\(external\\_ids iface\\-status\\) | active |" in section
    assert "| MAC in use \\(running\\) | 82:e5:72:c7:5a:85 |" in section
    assert "| OpenFlow port number \\(running\\) | 4 |" in section
