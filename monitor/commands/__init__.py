"""The CLI's commands: thin functions over the library, callable from tests."""
