"""The XTP server emulator in a process of its own (see :mod:`.remote`, :mod:`.standalone`)."""
