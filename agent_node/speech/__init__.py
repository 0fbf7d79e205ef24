"""Speech in (pure core; never imports rclpy): audio -> utterances -> transcripts.

What a node (or the CLI) uses:

- :class:`Transcriber` (``transcriber.py``): Whisper tiny.en on whisper.cpp,
  loaded once with ``Transcriber.load(catalog, names=...)``. ``transcribe(samples)``
  (16 kHz mono int16 or float), ``transcribe_utterance(utterance)`` and
  ``transcribe_file(path)`` give a :class:`Transcript`.
- :class:`Transcript`: ``text``, ``confidence`` (0..1), ``duration_s``,
  ``speech_s``, ``status`` (``ok``, ``low_confidence``, ``no_speech``,
  ``too_long``, ``bad_audio``) and ``detail``; ``actionable`` says whether to plan
  ``text``, ``reply`` is what to tell the person otherwise (asks to repeat).
  It is a pydantic model: ``transcript.model_dump_json()`` is a ready message body.
- :class:`UtteranceCutter` (``utterances.py``): ``feed(int16 chunk)`` returns the
  :class:`Utterance` objects that ended in it (VAD, with a maximum length);
  ``flush()`` at the end of a stream.
- :class:`SileroVad` (``vad.py``): the voice activity detector on onnxruntime;
  one instance per stream (it keeps the stream's state).
- ``catalog_prompt`` (``vocabulary_prompt.py``): the words that bias recognition.
- ``read_wav`` / ``AudioError`` (``audio.py``): reading and checking audio.

Models (``models/speech.yaml``) are checked by sha256 at load; a missing or
corrupt one raises ``agent_node.files.model_files.ModelFileError`` with what to run.
Importing this package loads neither whisper.cpp nor onnxruntime.
"""

from agent_node.speech.audio import SAMPLE_RATE, AudioError, read_wav, write_wav
from agent_node.speech.transcriber import Transcriber, Transcript
from agent_node.speech.utterances import Utterance, UtteranceCutter
from agent_node.speech.vad import SileroVad
from agent_node.speech.vocabulary_prompt import catalog_prompt

__all__ = ["SAMPLE_RATE", "AudioError", "SileroVad", "Transcriber", "Transcript", "Utterance", "UtteranceCutter",
           "catalog_prompt", "read_wav", "write_wav"]
