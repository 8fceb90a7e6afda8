#!/usr/bin/perl
# Writes tests/data/pii-secret.tsv: labelled credentials in sentences and
# their look-alikes, the same bytes on every run (own xorshift32, fixed
# seed).  Format as pii-labelled.tsv: type, raw JSON string content, 1 when
# the type must be found, 0 when nothing may be found.
#
# usage: perl tests/data/gen-pii-secret.pl > tests/data/pii-secret.tsv
use strict;
use warnings;
use Compress::Zlib qw(crc32);
use MIME::Base64 qw(encode_base64);

my $x = 1414;
sub rnd { $x ^= ($x << 13) & 0xffffffff; $x ^= $x >> 17;
          $x ^= ($x << 5) & 0xffffffff; return $x % $_[0]; }
sub pick { my @a = @_; return $a[rnd(scalar @a)]; }
sub chars { my ($set, $n) = @_; join '', map { substr($set, rnd(length $set), 1) } 1 .. $n }
my $B62 = join '', '0' .. '9', 'A' .. 'Z', 'a' .. 'z';
my $B64U = $B62 . '-_';
my $B32 = join '', 'A' .. 'Z', '2' .. '7';
my $HEX = '0123456789abcdef';
sub b64u { my $s = encode_base64($_[0], ''); $s =~ tr{+/}{-_}; $s =~ s/=+$//; $s }
sub rbytes { join '', map { chr rnd(256) } 1 .. $_[0] }
sub base62 { my ($n) = @_; my $s = '';
             for (1 .. 6) { $s = substr($B62, $n % 62, 1) . $s; $n = int($n / 62) } $s }
sub ghtok { my ($p, $bad) = @_; my $e = chars($B62, 30); my $c = base62(crc32($e));
            if ($bad) { my $d = substr($c, 5, 1); substr($c, 5, 1) = $d eq 'A' ? 'B' : 'A' }
            "${p}_$e$c" }
sub jwt { my ($alg) = @_;
          my $h = defined $alg ? qq({"alg":"$alg","typ":"JWT"}) : q({"typ":"JWT"});
          b64u($h) . '.' . b64u(qq({"sub":") . (1000 + rnd(99999)) . qq(","name":"Ana","iat":) . (1600000000 + rnd(99999999)) . '}')
          . '.' . chars($B64U, 43) }
sub pem { my ($kind) = @_; my $b = encode_base64(rbytes(200 + rnd(100)), '');
          my @l = ($b =~ /(.{1,64})/g);
          "-----BEGIN ${kind}-----\\n" . join('\\n', @l) . "\\n-----END ${kind}-----" }

my @say = ('here is my key: %s can you check it', 'Error with token %s in prod',
           'export TOKEN=%s', 'Use \"%s\" for the request.', '%s',
           'why does %s fail?', 'curl -H \"Authorization: Bearer %s\" https://api.example.com');
my @pos;
for (1 .. 10) { push @pos, sprintf pick(@say), jwt(pick('HS256', 'RS256', 'ES384', 'none', 'PS512')) }
for (1 .. 8) { push @pos, sprintf 'my key:\\n%s\\nthanks', pem(pick('RSA PRIVATE KEY', 'PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY')) }
for (1 .. 2) { my $p = pem('RSA PRIVATE KEY'); $p =~ s/\\n/ /g; push @pos, "pasted: $p" }
for (1 .. 10) { push @pos, sprintf pick(@say), pick('AKIA', 'ASIA') . chars($B32, 16) }
for (1 .. 12) { push @pos, sprintf pick(@say), ghtok(pick(qw(ghp gho ghu ghs ghr))) }
for (1 .. 4) { push @pos, sprintf pick(@say), 'github_pat_11' . chars($B62, 20) . '_' . chars($B62, 59) }
for (1 .. 6) { push @pos, sprintf pick(@say), 'sk-proj-' . chars($B64U, 120 + rnd(40)) }
for (1 .. 4) { push @pos, sprintf pick(@say), 'sk-' . chars($B62, 48) }
for (1 .. 6) { push @pos, sprintf pick(@say), pick('xoxb', 'xoxp') . '-' . chars('0123456789', 12) . '-' . chars('0123456789', 13) . '-' . chars($B62, 24) }
for (1 .. 6) { push @pos, sprintf pick(@say), pick('sk_live_', 'rk_live_') . chars($B62, pick(24, 34, 99)) }
for (1 .. 6) { push @pos, sprintf pick(@say), 'AIza' . chars($B64U, 35) }
for (1 .. 6) { push @pos, 'DefaultEndpointsProtocol=https;AccountName=acct' . rnd(99) . ';AccountKey=' . encode_base64(rbytes(64), '') . ';EndpointSuffix=core.windows.net' }
for (1 .. 6) { my $s = encode_base64(rbytes(32), ''); $s =~ s{\+}{%2B}g; $s =~ s{/}{%2F}g; $s =~ s{=}{%3D}g;
               push @pos, "download https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&sp=r&spr=https&sig=$s please" }
for (1 .. 6) { push @pos, sprintf pick('api-key: %s', '\"api-key\": \"%s\"', 'Ocp-Apim-Subscription-Key: %s',
                                        'set AZURE_OPENAI_API_KEY=%s and retry'), chars($HEX, 32) }
for (1 .. 4) { push @pos, 'aws_secret_access_key = ' . chars($B62 . '+/', 40) }

my @neg = ('we use sk-learn and scikit-learn 1.4.2 for this', 'the sk-proj-alpha branch',
           'xoxo, Anna 2024', 'AIza is a name in 3 stories', 'eyJ is how 7 base64 JSON starts',
           '-----BEGIN CERTIFICATE-----\\nMIIBszCCAVmgAwIBAgIUY2xhc3NpYzEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5\\n-----END CERTIFICATE-----',
           '-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3K9yN8Ykq0j1uL1Vb2xmYXk4c3F2\\n-----END PUBLIC KEY-----',
           'api-key: see the portal', 'AccountName=acct42;EndpointSuffix=core.windows.net',
           'the sig=abc1 is short', 'version v1.2.3-beta.4 released', 'ghp_ prefix explained in 3 lines');
for (1 .. 40) { push @neg, sprintf pick(@say), join '-', chars($HEX, 8), chars($HEX, 4), chars($HEX, 4), chars($HEX, 4), chars($HEX, 12) }
for (1 .. 40) { push @neg, sprintf pick('commit %s fixed it', 'sha256 %s of the file', 'see %s'), chars($HEX, pick(7, 40, 64)) }
for (1 .. 30) { push @neg, sprintf pick(@say), encode_base64(rbytes(pick(12, 24, 48)), '') }
for (1 .. 20) { push @neg, sprintf pick(@say), ghtok(pick(qw(ghp gho ghs)), 1) }
for (1 .. 15) { push @neg, sprintf pick(@say), 'AKIA' . chars($B32, pick(12, 15, 17)) }
for (1 .. 15) { push @neg, sprintf pick(@say), 'akia' . chars($B32, 16) }
for (1 .. 15) { push @neg, sprintf pick(@say), jwt(undef) }
for (1 .. 15) { push @neg, sprintf pick(@say), 'eyJ' . chars($B64U, 30) . '.' . chars($B64U, 30) . '.' . chars($B64U, 30) }
for (1 .. 15) { push @neg, sprintf pick(@say), 'sk-' . chars('abcdefghijklmnopqrstuvwxyz0123456789', 40) }
for (1 .. 15) { push @neg, sprintf pick(@say), 'AIza' . chars($B64U, pick(20, 34, 36)) }
for (1 .. 15) { push @neg, sprintf pick('order #%s shipped', 'tracking 1Z%s', 'ref %s'), uc chars($B62, 16) }
for (1 .. 15) { push @neg, sprintf 'released v%d.%d.%d on %04d-%02d-%02d', rnd(9), rnd(30), rnd(99), 2000 + rnd(25), 1 + rnd(12), 1 + rnd(28) }
for (1 .. 15) { push @neg, sprintf 'total %d.%02d EUR, was %d,%03d.%02d USD', rnd(999), rnd(99), 1 + rnd(9), rnd(999), rnd(99) }
for (1 .. 15) { push @neg, sprintf 'xoxb-%s is too short', chars($B62, 8) }
for (1 .. 15) { push @neg, sprintf 'sk_test_%s is a test key', chars($B62, 24) }

print "# type\ttext (raw JSON string content)\texpected (1: found, 0: nothing found)\n";
print "# generated by tests/data/gen-pii-secret.pl\n";
print "secret\t$_\t1\n" for @pos;
print "secret\t$_\t0\n" for @neg;
