"""RPC over oslo.messaging: one transport per cell plus the top-level one."""
