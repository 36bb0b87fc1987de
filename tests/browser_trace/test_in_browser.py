"""/trace/ in headless Chromium with the network cut off, on a site built by the installed wheel.

The docs repository is the demo's (its snapshots, intent.yaml and extra.netstack.assume); the site
comes from `netstack-docs build` of the wheel installed in a fresh venv (tests/wheel.py), so Pyodide
and the page's Python come from the package's data. Chromium reaches nothing but the site on
127.0.0.1 (tests/browser.py OFFLINE) and every request is recorded: none may leave. 20 flows typed
into the form (every option of the command among them) must give what `netstack-docs trace --json`
prints; a host page's link opens the page with its host chosen; an exposure verdict's and a check's
links open it with their flow filled in and traced.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from browser import OFFLINE, chromium, serve_directory

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 240_000  # Pyodide's first start on a loaded two-core machine; nothing here is timed
# The demo repository's mkdocs.yml, less repo_url (Material would ask GitHub for the repository's stars).
CONFIG = """site_name: Browser trace test
extra:
  netstack:
    assume:
      - xdp:wan0=pass
      - tc:lan0:ingress:*=ok
"""
FLOWS = [
    "prod/edge-01 --in wan0 --src 192.0.2.10 --dst 203.0.113.2 --dport 22",
    "prod/edge-01 --in wan0 --src 198.51.100.7 --dst 203.0.113.2 --dport 443 --assume xdp:wan0=pass",
    "prod/edge-01 --in lan0 --src 10.10.0.10 --dst 10.10.0.1 --dport 22",
    "prod/edge-01 --in lan0 --src 10.10.0.10 --dst 10.10.0.1 --proto udp --dport 53",
    "prod/edge-01 --in lan0 --src 2001:db8:10::5 --dst 2001:db8:10::1 --proto icmpv6",
    "prod/edge-01 --from-local --netns lan --src 10.10.0.10 --dst 198.51.100.1 --dport 80",
    "prod/edge-01 --in lan0 --src 10.10.0.10 --dst 203.0.113.1 --dport 443"
    " --state established --mark 0x10 --ttl 1",
    "prod/edge-01 --in wan0 --src 192.0.2.9 --dst 203.0.113.2 --dport 9100"
    " --tcp-flags fin,ack --len 1500 --dscp 46",
    "prod/edge-01 --in lan0 --src 10.10.0.10 --dst 10.10.0.1 --proto icmp",
    "prod/k8s-node-01 --from-local --netns shop/web-7d9f8b6c5-1 --src 10.244.1.3 --dst 10.244.2.2"
    " --dport 80",
    "prod/k8s-node-01 --from-local --netns kube-system/coredns-5d78c9869d-x1 --src 10.244.1.2"
    " --dst 10.244.2.2 --proto udp --dport 53",
    "prod/k8s-node-01 --in eth0 --src 192.0.2.50 --dst 192.168.50.11 --dport 10250",
    "prod/k8s-node-01 --in eth0 --src 192.168.50.12 --dst 10.244.1.3 --dport 8080",
    "prod/k8s-node-02 --from-local --src 10.244.2.1 --dst 10.96.0.10 --proto udp --dport 53",
    "prod/k8s-node-02 --in eth0 --src 192.0.2.7 --dst 192.168.50.12 --proto udp --dport 8472 --sport 5555",
    "prod/compute-01 --from-local --netns underlay --src 10.0.0.1 --dst 10.0.0.12 --proto udp --dport 4789",
    "prod/compute-01 --in tap3f1c-01 --src 192.168.100.5 --dst 203.0.113.9 --dport 443",
    "staging/docker-01 --in eth0 --src 192.168.60.1 --dst 192.168.60.5 --dport 8080",
    "staging/docker-01 --from-local --netns 3f2a1b9c8d7e --src 172.17.0.2"
    " --dst 192.168.60.1 --proto udp --dport 53",
    "staging/docker-01 --in tap-vm1 --src 192.168.122.50 --dst 8.8.8.8 --proto icmp --assume xdp:*=pass",
]
TEXT_FIELDS = ("in", "netns", "src", "dst", "sport", "dport", "mark", "len", "ttl", "dscp", "tcp-flags")
DONE = "n => Number(document.getElementById('netstack-trace-result').dataset.runs || 0) >= n"


@pytest.fixture(scope="module")
def wheel_site(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the docs repository, its site) built by the installed wheel's command."""
    repo = tmp_path_factory.mktemp("trace-repo")
    shutil.copytree(REPO / "snapshots", repo / "snapshots")
    shutil.copyfile(REPO / "intent.yaml", repo / "intent.yaml")
    (repo / "mkdocs.yml").write_text(CONFIG)
    tool = installed / "venv" / "bin" / "netstack-docs"
    proc = subprocess.run(
        [str(tool), "build", "--quiet"], capture_output=True, text=True, cwd=repo, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    return repo, repo / "site"


def _cli(installed: Path, repo: Path, args: list[str]) -> dict[str, Any]:
    tool = installed / "venv" / "bin" / "netstack-docs"
    proc = subprocess.run(
        [str(tool), "trace", *args, "--json"], capture_output=True, text=True, cwd=repo, timeout=300
    )
    assert proc.returncode in (0, 1, 3), proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _args_of(query: str) -> list[str]:
    """A /trace/ address as the command's arguments."""
    params = parse_qs(query)
    args = [f"{params.pop('env')[0]}/{params.pop('host')[0]}"]
    for name, values in params.items():
        for value in values:
            args += [f"--{name}"] if name == "from-local" else [f"--{name}", value]
    return args


@pytest.fixture(scope="module")
def offline_browser(wheel_site: tuple[Path, Path]) -> Iterator[tuple[str, Any, list[str]]]:
    with serve_directory(wheel_site[1]) as base, chromium(OFFLINE) as context:
        elsewhere: list[str] = []
        context.on("request", lambda r: None if r.url.startswith(base) else elsewhere.append(r.url))
        yield base, context.new_page(), elsewhere


def _result(page: Any, runs: int) -> dict[str, Any]:
    page.wait_for_function(DONE, arg=runs, timeout=TIMEOUT_MS)
    state = page.get_attribute("#netstack-trace-result", "data-state")
    assert state == "done", page.inner_text("#netstack-trace")
    shown: dict[str, Any] = json.loads(page.text_content("#netstack-trace-json"))
    assert page.get_attribute(".netstack-trace__verdict", "data-verdict") == shown["verdict"]
    assert page.locator(".netstack-trace__steps").first.locator("li").count() == len(shown["steps"])
    return shown


def _type(page: Any, flow: list[str]) -> None:
    """Fill the form as a reader would: every field set (or cleared), then Trace."""
    env, host = flow[0].split("/")
    opts: dict[str, list[str]] = {}
    rest = flow[1:]
    while rest:
        name = rest.pop(0)[2:]
        opts.setdefault(name, []).append("1" if name == "from-local" else rest.pop(0))
    page.select_option("select[name=env]", env)
    page.select_option("select[name=host]", host)
    for name in TEXT_FIELDS:
        page.fill(f"[name={name}]", opts.get(name, [""])[0])
    page.set_checked("[name=from-local]", "from-local" in opts)
    page.select_option("select[name=proto]", opts.get("proto", ["tcp"])[0])
    page.select_option("select[name=state]", opts.get("state", ["new"])[0])
    page.fill("[name=assume]", "\n".join(opts.get("assume", [])))
    page.click("#netstack-trace-form button[type=submit]")


def test_twenty_flows_typed_into_the_page_match_the_command(
    offline_browser: tuple[str, Any, list[str]], wheel_site: tuple[Path, Path], installed: Path
) -> None:
    base, page, elsewhere = offline_browser
    repo = wheel_site[0]
    page.goto(base + "trace/")
    page.wait_for_function("() => document.querySelector('select[name=host]').options.length > 0")
    for i, flow in enumerate(FLOWS, 1):
        args = shlex.split(flow)
        _type(page, args)
        assert _result(page, i) == _cli(installed, repo, args), flow
        assert parse_qs(urlsplit(page.url).query)["host"] == [args[0].split("/")[1]]  # the address links it
    page.fill("[name=in]", "nope0")  # a name that does not exist: the command's message, naming what does
    page.click("#netstack-trace-form button[type=submit]")
    page.wait_for_function(DONE, arg=len(FLOWS) + 1, timeout=TIMEOUT_MS)
    assert "no interface 'nope0'" in page.inner_text(".netstack-trace__error")
    assert elsewhere == []


def test_a_host_page_opens_the_trace_with_its_host_chosen(
    offline_browser: tuple[str, Any, list[str]],
) -> None:
    base, page, elsewhere = offline_browser
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(base + "staging/docker-01/")
    page.wait_for_load_state("networkidle")
    assert not [u for u in seen if "/trace/" in u]  # Pyodide and the page's script load on /trace/ only
    page.click("text=Trace a packet through this host")  # Material's instant navigation: no reload
    page.wait_for_function("() => document.querySelector('select[name=host]')?.value === 'docker-01'",
                           timeout=TIMEOUT_MS)
    assert page.input_value("select[name=env]") == "staging"
    assert page.locator("#netstack-trace-netns option[value='docker/3f2a1b9c8d7e']").count() == 1
    assert "xdp:wan0=pass" in page.inner_text(".netstack-trace__defaults")  # the repository's defaults
    assert elsewhere == []


def test_exposure_and_check_links_open_their_flow_traced(
    offline_browser: tuple[str, Any, list[str]], wheel_site: tuple[Path, Path], installed: Path
) -> None:
    base, page, elsewhere = offline_browser
    repo = wheel_site[0]
    links = []
    page.goto(base + "prod/edge-01/")
    links.append(page.locator("a:has-text('try it')").first.get_attribute("href"))
    page.goto(base + "prod/checks/")
    links.append(page.locator("a:has-text('try it')").first.get_attribute("href"))
    for href in links:
        url = urljoin(page.url, href)
        page.goto(url)
        assert _result(page, 1) == _cli(installed, repo, _args_of(urlsplit(url).query)), url
    assert elsewhere == []
