"""Conductor operations built from steps that can be undone, and the chain that runs them."""

from cirrus.conductor.tasks.base import Task, TaskChain

__all__ = ["Task", "TaskChain"]
