// The parsers mesh/injection rewrites from the meshes' own code, tested on the value sets of the
// originals (Go strconv and netip, linkerd2-proxy-init ParsePortRange, libxtables ports), and the
// readings they give the policy, the linter and diagnose.
import assert from 'node:assert/strict'
import { istioInjectValue, readNamespaceSwitches, readPodSwitches } from '../../mesh/injection/index.js'
import { istioCidrs, istioPorts } from '../../mesh/injection/istio.js'
import { linkerdPortRange } from '../../mesh/injection/linkerd.js'
import { complement, goAtoi, goParseBool, goParseUint, goTrimSpace, isGoPrefix, xtablesPortNumber, xtablesPortRange } from '../../mesh/injection/values.js'

describe('mesh/injection', () => {
  describe('Go value parsers', () => {
    it('strconv.ParseBool accepts exactly 1 t T TRUE true True and 0 f F FALSE false False', () => {
      for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(goParseBool(v), true, v)
      for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(goParseBool(v), false, v)
      for (const v of ['', 'tRUE', 'yes', 'on', ' true', 'true ', '01', 'truE', 'fALSE']) assert.equal(goParseBool(v), undefined, v)
    })

    it('strconv.ParseUint(s, 10, 16) takes decimal digits only, leading zeros included, up to 65535', () => {
      assert.equal(goParseUint('0', 65535), 0)
      assert.equal(goParseUint('080', 65535), 80)
      assert.equal(goParseUint('00000000000000000000080', 65535), 80)
      assert.equal(goParseUint('65535', 65535), 65535)
      for (const v of ['65536', '99999999999999999999999', '+80', '-0', ' 80', '0x50', '8_0', '', '8e1']) assert.equal(goParseUint(v, 65535), undefined, v)
    })

    it('strconv.Atoi takes an optional sign and decimal digits, and refuses what overflows int64', () => {
      assert.equal(goAtoi('+80'), 80)
      assert.equal(goAtoi('-80'), -80)
      assert.equal(goAtoi('0080'), 80)
      for (const v of ['', '+', ' 80', '80 ', '0x50', '9223372036854775808', '1_000']) assert.equal(goAtoi(v), undefined, v)
    })

    it('strings.TrimSpace trims what unicode.IsSpace calls space: NEL and NBSP, but not the BOM', () => {
      assert.equal(goTrimSpace('\u0085\u00a0\t 80 \u3000'), '80')
      assert.equal(goTrimSpace('\ufeff80'), '\ufeff80')
    })

    it('netip.ParsePrefix wants addr/bits: no zones, no leading zeros in octets or bits, no spaces', () => {
      for (const v of ['10.0.0.0/8', '0.0.0.0/0', '::/0', '2001:db8::/32', '::ffff:10.0.0.0/104', '10.0.0.1/32']) assert.ok(isGoPrefix(v), v)
      for (const v of ['10.0.0.0', '10.0.0.0/33', '010.0.0.0/8', '10.0.0.0/08', '10.0.0.0/+8', ' 10.0.0.0/8', '10.0.0.0/8 ', 'fe80::1%eth0/64', '::/129', '*', '']) {
        assert.ok(!isGoPrefix(v), v)
      }
    })
  })

  describe('libxtables ports (iptables --dport), which Consul hands its exclude lists to', () => {
    it('reads a port in base 0 after leading white space: decimal, 0x hex, 0 octal', () => {
      assert.equal(xtablesPortNumber('8080'), 8080)
      assert.equal(xtablesPortNumber('0x1F90'), 8080)
      assert.equal(xtablesPortNumber('017620'), 8080)
      assert.equal(xtablesPortNumber(' \t+8080'), 8080)
      assert.equal(xtablesPortNumber('0'), 0)
      for (const v of ['8080 ', '-80', '08', '0x', '65536', 'http', '', '0x10000']) assert.equal(xtablesPortNumber(v), undefined, v)
    })

    it('reads `first:last` with open ends as 0 and 65535, and refuses first > last', () => {
      assert.deepEqual(xtablesPortRange('8000:8100'), { lo: 8000, hi: 8100 })
      assert.deepEqual(xtablesPortRange(':80'), { lo: 0, hi: 80 })
      assert.deepEqual(xtablesPortRange('9090:'), { lo: 9090, hi: 65535 })
      assert.deepEqual(xtablesPortRange(':'), { lo: 0, hi: 65535 })
      for (const v of ['8100:8000', '8000-8100', '1:2:3']) assert.equal(xtablesPortRange(v), undefined, v)
    })
  })

  describe('the meshes\' list readers', () => {
    it('Istio port lists are trimmed decimal ports, all or nothing', () => {
      assert.deepEqual(istioPorts(' 80 , 443 '), [{ lo: 80, hi: 80 }, { lo: 443, hi: 443 }])
      assert.deepEqual(istioPorts('  '), [])
      for (const v of ['80,', '80-90', '*', '+80']) assert.equal(istioPorts(v), undefined, v)
    })

    it('Istio CIDR lists are untrimmed prefixes, all or nothing', () => {
      assert.deepEqual(istioCidrs('10.0.0.0/8,::/0'), ['10.0.0.0/8', '::/0'])
      assert.deepEqual(istioCidrs(''), [])
      for (const v of ['10.0.0.0/8, ::/0', '10.0.0.0/8,', '*']) assert.equal(istioCidrs(v), undefined, v)
    })

    it('Linkerd port ranges are `port` or `lower-upper` with Atoi bounds from 0 to 65535', () => {
      assert.deepEqual(linkerdPortRange('+80'), { lo: 80, hi: 80 })
      assert.deepEqual(linkerdPortRange('0-65535'), { lo: 0, hi: 65535 })
      assert.deepEqual(linkerdPortRange('1-+5'), { lo: 1, hi: 5 })
      for (const v of ['-80', '1-2-3', '90-80', '65536', ' 80', '*', '']) assert.equal(linkerdPortRange(v), undefined, v)
    })

    it('the complement of captured ports is every other port from 1 to 65535', () => {
      assert.deepEqual(complement([{ lo: 8080, hi: 8080 }, { lo: 1, hi: 10 }]), [{ lo: 11, hi: 8079 }, { lo: 8081, hi: 65535 }])
      assert.deepEqual(complement([]), [{ lo: 1, hi: 65535 }])
      assert.deepEqual(complement([{ lo: 0, hi: 65535 }]), [])
    })
  })

  describe('sidecar.istio.io/inject across the Istio releases in use', () => {
    it('1.27+ know only "true" and "false"; 1.12-1.26 inject on y, yes, true, on in any case and skip on anything else', () => {
      assert.deepEqual(istioInjectValue('true'), { current: 'inject', legacy: 'inject' })
      assert.deepEqual(istioInjectValue('false'), { current: 'skip', legacy: 'skip' })
      assert.deepEqual(istioInjectValue(''), { current: 'default', legacy: 'default' })
      assert.deepEqual(istioInjectValue('YES'), { current: 'invalid', legacy: 'inject' })
      assert.deepEqual(istioInjectValue('False'), { current: 'invalid', legacy: 'skip' })
      // Non-ASCII letters do not fold onto the accepted words (Go's ToLower maps none of them to y, e, s, t, r, u, o, n).
      assert.deepEqual(istioInjectValue('\u0130'), { current: 'invalid', legacy: 'skip' })
    })
  })

  describe('readings', () => {
    it('a pod with nothing set, or only switches that keep the proxy, reads as nothing to report', () => {
      assert.deepEqual(readPodSwitches(undefined, undefined), [])
      assert.deepEqual(readPodSwitches({ labels: { 'sidecar.istio.io/inject': 'true' }, annotations: { 'linkerd.io/inject': 'enabled', 'consul.hashicorp.com/connect-inject': 'True' } }, { hostNetwork: false }), [])
    })

    it('each reading names the mesh, the family, the path and the upstream code', () => {
      const [r] = readPodSwitches({ annotations: { 'consul.hashicorp.com/transparent-proxy': 'F' } }, {})
      assert.equal(r!.mesh, 'Consul')
      assert.equal(r!.family, 'capture')
      assert.equal(r!.path, 'annotations["consul.hashicorp.com/transparent-proxy"]')
      assert.match(r!.upstream, /consul-k8s .*common\.go TransparentProxyEnabled/)
      assert.equal(r!.verdict.kind, 'off')
    })

    it('hostNetwork is read from the pod spec', () => {
      const [r] = readPodSwitches({}, { hostNetwork: true })
      assert.deepEqual([r!.part, r!.path, r!.mesh], ['spec', 'hostNetwork', 'Istio and Linkerd'])
    })

    it('a namespace reads only its own switches: a pod-only key on a namespace is nothing', () => {
      assert.deepEqual(readNamespaceSwitches({ annotations: { 'sidecar.istio.io/inject': 'false', 'consul.hashicorp.com/connect-inject': 'false' } }), [])
      assert.equal(readNamespaceSwitches({ labels: { 'istio-injection': 'disabled' } })[0]!.verdict.kind, 'off')
    })
  })
})
