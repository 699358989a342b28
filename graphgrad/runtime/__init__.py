"""The tape runtime: schedules over integer slots and their executors."""
from graphgrad.runtime.executor import Executable, generate_source, interpret
from graphgrad.runtime.schedule import Instruction, Schedule

__all__ = ["Schedule", "Instruction", "Executable", "interpret", "generate_source"]
