-- seed_text.lua -- the texts of the benches' Redis seeders, put before
-- digest_seed.lua (tests/bench/digest) and window_seed.lua
-- (tests/bench/window_start) when they are loaded: characters drawn from
-- a pool by MINSTD on the issue's number, texts that share few bigrams,
-- as different problems' do.
local POOL = '企业用工招聘社保缴费税收优惠政策融资贷款担保园区道路交通公交' ..
  '厂房土地审批环评安全生产消防检查市场监管出口退税人才住房子女入学' ..
  '电力供应燃气供水排污管网物流运输仓储设备更新技术改造研发创新专利' ..
  '培训技能补贴稳岗扩岗订单原材料价格上涨资金周转应收账款拖欠纠纷调解'
local NPOOL = #POOL / 3

-- The c-th character of the pool (from 0).
local function pool_char(c)
  return string.sub(POOL, 3 * c + 1, 3 * c + 3)
end

-- n characters for seed, from the pool's first npool (default: all).
local function text(seed, n, npool)
  local h, out = seed % 2147483646 + 1, {}
  npool = npool or NPOOL
  for k = 1, n do
    h = h * 48271 % 2147483647
    out[k] = pool_char(h % npool)
  end
  return table.concat(out)
end
