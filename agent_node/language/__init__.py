"""What people say: phrasebooks, number words, said numbers, control words, command keys and meaning checks."""
