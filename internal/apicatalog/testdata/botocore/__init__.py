# A stand-in for botocore's __init__.py: the generator reads only __version__.
__version__ = '0.0.1-fixture'
