"""NAME
    pyfix.queue - the mail queue: Postfix's layout and queue file format

SUMMARY
    QueueLayout, QueueFileWriter, QueueFile, QueueMessage, Recipient,
    and the QueueError hierarchy

DESCRIPTION
    The queue is the only state that pyfix's processes share (DESIGN.md
    section 3).  This package reads and writes it exactly as Postfix 3.7
    does, so that Postfix's postcat, postsuper and qmgr can work on a
    queue that pyfix wrote, and pyfix can deliver a queue that Postfix
    left:

        records.py        record types, encoding, fixed-width formats
        record_stream.py  reading records from a file, with pointers
        queue_id.py       short and long queue IDs
        layout.py         queue names, hashed directories, paths
        writer.py         QueueFileWriter: new queue files (cleanup)
        envelope.py       QueueMessage: what the envelope says
        reader.py         QueueFile: reading and in-place updates
        errors.py         QueueError and its subclasses

    Parameters read: queue_directory, hash_queue_depth,
    hash_queue_names, enable_long_queue_ids (through
    QueueLayout.from_config()).

DIAGNOSTICS
    See errors.py.
"""

from pyfix.queue.errors import (
    QueueError,
    QueueFileCorrupt,
    QueueFileIncomplete,
    QueueFileMissing,
    QueueFileTooBig,
    QueueNoSpace,
    QueueWriteError,
)
from pyfix.queue.layout import QueueLayout
from pyfix.queue.reader import QueueFile, QueueMessage, Recipient, read_queue_file
from pyfix.queue.writer import QueueFileWriter

__all__ = [
    "QueueError",
    "QueueFile",
    "QueueFileCorrupt",
    "QueueFileIncomplete",
    "QueueFileMissing",
    "QueueFileTooBig",
    "QueueFileWriter",
    "QueueLayout",
    "QueueMessage",
    "QueueNoSpace",
    "QueueWriteError",
    "Recipient",
    "read_queue_file",
]
