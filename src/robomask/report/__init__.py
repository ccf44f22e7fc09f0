"""Visual QA of a scene's masks: overlay previews and videos, fault flags, HTML reports."""
