import KeepAlive
