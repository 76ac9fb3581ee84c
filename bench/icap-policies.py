#!/usr/bin/env python3
"""icap-policies.py DIR [--1m]: the policies of the srv_inspect benchmarks (bench/icap-bench.sh,
bench/icap-instructions.sh), written into DIR:
  policy10.xml  (a) 10 security rules
  policy1m.xml  (b) a 1,000,000-name domain list (DIR/lists/big.txt) plus 500 rules, with --1m
The same names every time (seeded)."""
import os
import random
import sys

POLICY10 = """\
<policy xmlns="urn:squid-inspect:policy:1">
  <objects><domains id="bad">.malware.test .phish.test</domains><network id="lab" cidr="192.168.0.0/16"/></objects>
  <security-policy>
    <rule id="r1" action="block"><host list="bad"/></rule>
    <rule id="r2" action="block"><source network="lab"/><method>PUT DELETE</method></rule>
    <rule id="r3" action="block"><path glob="/admin/*"/></rule>
    <rule id="r4" action="block"><query regex="(^|&amp;)debug=1"/></rule>
    <rule id="r5" action="modify"><host>login.microsoftonline.com</host><add-header name="Restrict-Access-To-Tenants" value="example.com"/></rule>
    <rule id="r6" action="modify"><host>.youtube.com</host><add-header name="YouTube-Restrict" value="Moderate"/></rule>
    <rule id="r7" action="block"><request><header name="User-Agent" glob="*sqlmap*"/></request></rule>
    <rule id="r8" action="redirect" location="https://new.test/"><host>old.test</host></rule>
    <rule id="r9" action="block"><response><status>5xx</status><content-type>application/x-bad</content-type></response></rule>
    <rule id="r10" action="block"><response><content-type>application/x-msdownload</content-type></response></rule>
  </security-policy>
</policy>
"""


def write_policy1m(d):
    random.seed(42)
    os.makedirs(d + '/lists', exist_ok=True)
    with open(d + '/lists/big.txt', 'w') as f:
        for i in range(1000000):
            f.write(('.' if i % 3 == 0 else '') + 'site%d-%06x.example%d.com\n' % (i, random.getrandbits(24), i % 997))
    rules = []
    for i in range(499):
        k = i % 5
        if k == 0:
            rules.append('<rule id="h%d" action="block"><host>host%d.rules.test .sub%d.rules.test</host></rule>' % (i, i, i))
        elif k == 1:
            rules.append('<rule id="p%d" action="block"><host>host%d.rules.test</host><path glob="/p%d/*"/></rule>' % (i, i, i))
        elif k == 2:
            rules.append('<rule id="m%d" action="block"><method>PUT</method><host>m%d.rules.test</host></rule>' % (i, i))
        elif k == 3:
            rules.append('<rule id="q%d" action="block"><host>q%d.rules.test</host><query regex="x=%d"/></rule>' % (i, i, i))
        else:
            rules.append('<rule id="r%d" action="modify"><host>r%d.rules.test</host><add-header name="X-R" value="%d"/></rule>' % (i, i, i))
    rules.append('<rule id="big-list" action="block"><host list="big"/></rule>')
    with open(d + '/policy1m.xml', 'w') as f:
        f.write('<policy xmlns="urn:squid-inspect:policy:1">\n<objects><domains id="big" file="lists/big.txt"/></objects>\n')
        f.write('<https-inspection><rule id="bypass-big" action="bypass"><server-name list="big"/></rule></https-inspection>\n')
        f.write('<security-policy>\n' + '\n'.join(rules) + '\n</security-policy>\n</policy>\n')


def main():
    if len(sys.argv) < 2 or sys.argv[2:] not in ([], ['--1m']):
        sys.exit('usage: icap-policies.py DIR [--1m]')
    d = sys.argv[1]
    with open(d + '/policy10.xml', 'w') as f:
        f.write(POLICY10)
    if sys.argv[2:] == ['--1m']:
        write_policy1m(d)


main()
