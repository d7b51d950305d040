"""The baseline: a bare Flask app answering 'hello', served exactly like ours."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    return "hello"
