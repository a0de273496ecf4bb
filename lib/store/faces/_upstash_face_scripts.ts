/**
 * The Lua scripts of `UpstashFaceStore`: each face write is one script, so it is atomic on Redis
 * (keys of one collection share a hash tag, `{model|collection}`).
 *
 * @module
 */

const ADD = `
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then return 'exists' end
if ARGV[8] ~= '' and string.sub(redis.call('GET', KEYS[6]) or '', 1, 17) ~= ARGV[8] .. '.' then
  return 'rekey'
end
local n = tonumber(redis.call('HGET', KEYS[2], 'face_count') or '0')
if n >= tonumber(ARGV[6]) then return 'full' end
if n == 0 then
  redis.call('HSET', KEYS[2], 'created_at', ARGV[5])
  redis.call('ZADD', KEYS[1], 0, ARGV[1])
end
redis.call('HSET', KEYS[2], 'updated_at', ARGV[5], 'face_count', n + 1)
if ARGV[9] == '-' then
  redis.call('HDEL', KEYS[2], 'expires_at')
  redis.call('HDEL', KEYS[7], ARGV[1])
elseif ARGV[9] ~= '' then
  redis.call('HSET', KEYS[2], 'expires_at', ARGV[9])
  redis.call('HSET', KEYS[7], ARGV[1], ARGV[9])
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[4])
redis.call('SET', KEYS[5], ARGV[7])
return 'ok'`;

const DELETE_FACE = `
if redis.call('HDEL', KEYS[3], ARGV[2]) == 0 then return 0 end
redis.call('HDEL', KEYS[4], ARGV[2])
redis.call('SET', KEYS[5], ARGV[4])
local n = redis.call('HINCRBY', KEYS[2], 'face_count', -1)
if n <= 0 then
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[6], ARGV[1])
else
  redis.call('HSET', KEYS[2], 'updated_at', ARGV[3])
end
return 1`;

const DROP_SUBJECT = `
local function drop(gallery, meta, faces)
  local ids = redis.call('HKEYS', faces)
  for i = 1, #ids, 500 do
    redis.call('HDEL', gallery, unpack(ids, i, math.min(i + 499, #ids)))
  end
  redis.call('DEL', meta, faces)
  return #ids
end`;

const DELETE_SUBJECT = `${DROP_SUBJECT}
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('SET', KEYS[5], ARGV[2])
local n = drop(KEYS[4], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[6], ARGV[1])
return n`;

const DELETE_SUBJECTS = `${DROP_SUBJECT}
local names = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #names > 0 then redis.call('SET', KEYS[3], ARGV[3]) else redis.call('DEL', KEYS[4], KEYS[5]) end
local removed = 0
for _, s in ipairs(names) do
  removed = removed + drop(KEYS[2], ARGV[1] .. 'subject:' .. s, ARGV[1] .. 'faces:' .. s)
  redis.call('ZREM', KEYS[1], s)
  redis.call('HDEL', KEYS[5], s)
end
return {removed, #names}`;

const GET_SUBJECT = `
local meta = redis.call('HMGET', KEYS[2], 'created_at', 'updated_at', 'face_count', 'expires_at')
if not meta[1] then return nil end
local faces = redis.call('HGETALL', KEYS[3])
local packed = {}
for i = 1, #faces, 2 do packed[#packed + 1] = redis.call('HGET', KEYS[4], faces[i]) or '' end
return {meta, faces, packed, redis.call('GET', KEYS[5]) or ''}`;

const LIST_SUBJECTS = `
local names = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, s in ipairs(names) do
  local m = redis.call('HMGET', ARGV[3] .. 'subject:' .. s, 'created_at', 'updated_at', 'face_count',
    'expires_at')
  out[#out + 1] = {s, m[1], m[2], m[3], m[4] or ''}
end
return out`;

const GALLERY = `
local dek = redis.call('GET', KEYS[2]) or ''
local expiries = {}
if ARGV[2] == '0' and KEYS[3] then expiries = redis.call('HGETALL', KEYS[3]) end
if ARGV[2] == '0' and redis.call('HLEN', KEYS[1]) <= tonumber(ARGV[1]) then
  return {'0', redis.call('HGETALL', KEYS[1]), dek, expiries}
end
local page = redis.call('HSCAN', KEYS[1], ARGV[2], 'COUNT', ARGV[1])
return {page[1], page[2], dek, expiries}`;

const SET_EXPIRY = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'expires_at')
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[1], 'expires_at', ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[3])
redis.call('SET', KEYS[3], ARGV[4])
return 1`;

const FACE_TIMES = `
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HGET', KEYS[i], ARGV[i]) or '' end
return out`;

const CREATE_DATA_KEY = `
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])`;

const SWAP_DATA_KEY = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

const SEAL_FACE = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[4] then return 0 end
if string.sub(redis.call('GET', KEYS[3]) or '', 1, 17) ~= ARGV[6] .. '.' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
return 1`;

const SWAP_ROW = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/** Every script of the store, by name (loaded once per store, run by SHA). */
export const SCRIPTS = {
  SWAP_ROW,
  SWAP_DATA_KEY,
  SEAL_FACE,
  ADD,
  DELETE_FACE,
  DELETE_SUBJECT,
  DELETE_SUBJECTS,
  GET_SUBJECT,
  LIST_SUBJECTS,
  GALLERY,
  CREATE_DATA_KEY,
  SET_EXPIRY,
  FACE_TIMES,
};
/** A script's name. */
export type ScriptName = keyof typeof SCRIPTS;
