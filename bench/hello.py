"""The baseline: a Flask hello-world, served by gunicorn exactly as the wiki is."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
