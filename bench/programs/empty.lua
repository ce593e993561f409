-- empty: does nothing; its callgrind count is the interpreter's start-up (see empty.tri).
local n = tonumber(arg and arg[1]) or 0
