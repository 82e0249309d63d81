"""The Textual dashboard behind ``flowwiz ui`` (imported only by that command)."""
