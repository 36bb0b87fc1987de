"""A minimal ctypes binding to libnftables.so.1: run an nft command in-process and return its output.

In-process matters: libnftables opens its netlink socket in the calling thread's network
namespace, so a capture thread that has done setns() sees that namespace's ruleset without a
helper process or an `nft` subprocess per namespace.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from functools import cache

NFT_CTX_DEFAULT = 0
# nft_ctx_output_set_flags bits (nftables/libnftables.h)
NFT_CTX_OUTPUT_HANDLE = 1 << 3
NFT_CTX_OUTPUT_JSON = 1 << 4
NFT_CTX_OUTPUT_STATELESS = 1 << 2


class NftError(Exception):
    """libnftables reported an error running a command."""


@cache
def _library() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("nftables") or "libnftables.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.nft_ctx_new.restype = ctypes.c_void_p
    lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
    lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_output_set_flags.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    lib.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
    lib.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
    lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
    lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.nft_run_cmd_from_buffer.restype = ctypes.c_int
    return lib


# libnftables keeps process-global parser state in some versions; serialise calls across threads.
_LOCK = threading.Lock()


def available() -> bool:
    return _library() is not None


def run(command: str, flags: int = 0) -> str:
    """Run one nft command (e.g. 'list ruleset') in this thread's netns; return its output text.

    Raises NftError with libnftables' own message when the command fails, and OSError when the
    library is missing.
    """
    lib = _library()
    if lib is None:
        raise OSError("libnftables not found")
    with _LOCK:
        ctx = lib.nft_ctx_new(NFT_CTX_DEFAULT)
        if not ctx:
            raise NftError("nft_ctx_new failed")
        try:
            lib.nft_ctx_output_set_flags(ctx, flags)
            lib.nft_ctx_buffer_output(ctx)
            lib.nft_ctx_buffer_error(ctx)
            rc = lib.nft_run_cmd_from_buffer(ctx, command.encode())
            out = (lib.nft_ctx_get_output_buffer(ctx) or b"").decode("utf-8", "replace")
            err = (lib.nft_ctx_get_error_buffer(ctx) or b"").decode("utf-8", "replace")
        finally:
            lib.nft_ctx_free(ctx)
    if rc != 0:
        raise NftError(err.strip() or f"nft {command!r} failed ({rc})")
    return out


def list_ruleset_json() -> str:
    """`nft -j -a list ruleset` (handles on; counters are stripped by the caller)."""
    return run("list ruleset", NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE)


def list_ruleset_text() -> str:
    """`nft -s -a list ruleset`: the human text, stateless (no counter values), with handles."""
    return run("list ruleset", NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_STATELESS)
