-- kamailio-htable.lua: fill htable "cid" (number -> display name) from a
-- tab-separated file, once, in one Kamailio worker right after start-up
-- (bench/kamailio.cfg). sipp-load.sh replaces __TSV__ with the file path.
local path = "__TSV__"
local n = 0
for line in io.lines(path) do
  local k, v = line:match("^([^\t]+)\t(.*)$")
  if k then
    KSR.htable.sht_sets("cid", k, v)
    n = n + 1
  end
end
KSR.notice("cidbench: htable cid loaded " .. n .. " entries\n")
