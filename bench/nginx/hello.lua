-- Benchmark handler (a) for lua-nginx-module: the smallest useful handler.
ngx.print("hello, world\n")
