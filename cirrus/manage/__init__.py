"""Operator set-up steps shared by cirrus-manage and the all-in-one."""
