#!/usr/bin/perl

# azoai_token_limit_zone / azoai_token_limit: token budgets per key in
# shared memory, spent by every worker, kept across reloads.
#
# Request bodies here estimate 2 prompt tokens ("user" + "hi": 6 string
# bytes / 4, rounded up) plus max_tokens; the recording upstream answers
# with usage total_tokens 18 (JSON and event stream alike).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 4);

# a listener that never answers: the upstream of /hang
my $hang = IO::Socket::INET->new(Listen => 64, LocalAddr => '127.0.0.1',
                                 LocalPort => 0, ReuseAddr => 1)
    or die "listen: $!";
my $hang_port = $hang->sockport;

$t->write_catalog;

my $zones = <<'EOF';
    azoai_token_limit_zone $http_x_team zone=team:1m tokens_per_minute=100;
    azoai_token_limit_zone $http_x_team zone=conc:1m tokens_per_minute=1000;
    azoai_token_limit_zone $http_x_team zone=daily:1m
                           tokens_per_minute=100000 tokens_per_day=30;
    azoai_token_limit_zone all zone=global:1m tokens_per_minute=1000000;
EOF

my $http = $zones . <<"EOF";
    azoai_catalog %%CATALOG%%;
    azoai_metrics_zone azoai 1m;
    large_client_header_buffers 4 128k;
    log_format pids '\$pid';

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        listen 127.0.0.1:%%PORT_H2%% http2;
        azoai on;
        azoai_token_limit zone=team;
        azoai_token_limit zone=global;
        add_header X-Remaining-Var "[\$azoai_tokens_remaining]" always;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /conc/ {
            rewrite ^/conc(/.*)\$ \$1 break;
            azoai_token_limit zone=conc;
            access_log %%DIR%%/pids.log pids;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /daily/ {
            rewrite ^/daily(/.*)\$ \$1 break;
            azoai_token_limit zone=daily;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /team-only/ {
            rewrite ^/team-only(/.*)\$ \$1 break;
            azoai_token_limit zone=team;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /hang/ {
            rewrite ^/hang(/.*)\$ \$1 break;
            proxy_read_timeout 30s;
            proxy_pass http://127.0.0.1:$hang_port;
        }
        location /refused/ {
            rewrite ^/refused(/.*)\$ \$1 break;
            proxy_pass http://127.0.0.1:%%PORT_CLOSED%%;
        }
        location /huge/ {
            rewrite ^/huge(/.*)\$ \$1 break;
            azoai_token_limit zone=team;
            proxy_pass http://127.0.0.1:%%PORT_HUGE%%;
        }
        location /overflow/ {
            rewrite ^/overflow(/.*)\$ \$1 break;
            azoai_token_limit zone=team;
            proxy_pass http://127.0.0.1:%%PORT_OVERFLOW%%;
        }
        location = /metrics {
            azoai_metrics;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_HUGE%%;
        default_type application/json;
        return 200 '{"usage":{"total_tokens":9000000000000000000}}';
    }

    server {
        listen 127.0.0.1:%%PORT_OVERFLOW%%;
        default_type application/json;
        return 200 '{"usage":{"total_tokens":1e400,"prompt_tokens":-5,"completion_tokens":99999999999999999999999}}';
    }
EOF
$t->write_conf($http);
$t->start_upstream->start;

my $chat = '/openai/deployments/chat-prod/chat/completions'
    . '?api-version=2024-10-21';

sub body {
    my ($max) = @_;
    return '{"messages":[{"role":"user","content":"hi"}]'
        . (defined $max ? ",\"max_tokens\":$max" : '') . '}';
}

sub req {
    my ($team, %o) = @_;
    # "Connection: close": the client waits for NGINX to close, which it
    # does after the request's pool (and with it the charge) is gone
    my @h = (['Content-Type', 'application/json']);
    push @h, ['Connection', 'close'] unless $o{via};
    push @h, ['X-Team', $team] if defined $team;
    push @h, @{$o{headers}} if $o{headers};
    return { method => 'POST', path => ($o{prefix} // '') . $chat,
             headers => \@h,
             body => exists $o{body} ? $o{body}
                                     : body(exists $o{max} ? $o{max} : 10),
             ($o{via} ? (via => $o{via}, port => $t->port('h2')) : ()) };
}

sub remaining { return $_[0]->{headers}{'x-azoai-tokens-remaining'} }

# A request is charged when its pool goes, which may be just after the
# client has its answer: wait until every admitted request has ended.
sub quiet {
    my ($allowed) = @_;
    $allowed //= 0;
    for (1 .. 100) {
        my $m = scrape();
        my @open = grep {
            my ($z) = /zone="(\w+)"/;
            ($m->{$_} // 0) - ($m->{"azoai_token_limit_ended_total{zone=\"$z\"}"}
                               // 0) > $allowed
        } grep { /result="admitted"/ } keys %$m;
        return 1 unless @open;
        sleep 0.05;
    }
    diag('requests still in flight');
    return 0;
}

# a request, once it has been charged
sub charged {
    my $r = $t->request(@_);
    quiet();
    return $r;
}

# the sliding minute must not turn over inside a counting test (each
# takes a few seconds, more on a loaded machine)
sub away_from_minute_edge {
    my $s = time % 60;
    sleep(61 - $s) if $s > 30;
}

sub scrape {
    my $r = http_request($t->port, method => 'GET', path => '/metrics');
    my %s;
    for (split /\n/, $r->{body} // '') {
        my ($k, $v) = /^(azoai_token\S+)\s+(\S+)$/ or next;
        $s{$k} = $v;
    }
    return \%s;
}

away_from_minute_edge();

# --- admission until the budget is spent -----------------------------------

my $r = charged(req('alpha'));
is($r->{status}, 200, 'first request admitted');
is(remaining($r), 88, 'X-AzOAI-Tokens-Remaining: 100 - estimate 12');
is($r->{headers}{'x-remaining-var'}, '[88]', '$azoai_tokens_remaining');

# each answer costs 18: admitted while the minute holds less than 100
my $admitted = 1;
for (1 .. 10) {
    $r = charged(req('alpha'));
    last if $r->{status} != 200;
    $admitted++;
}
is($admitted, 6, 'six admitted: 5 x 18 = 90 < 100, then 108 >= 100');
is($r->{status}, 429, 'then 429');
is(scrape()->{'azoai_token_limit_locked_settles_total{zone="team"}'}, 0,
   'one lock per zone per request: each ended request settled into its '
   . 'key\'s pending word, folded in by the next admission');

$t->expect_denied(req('alpha'), 429, 'TokenLimitExceeded',
                  'a spent budget is denied before the upstream');
quiet();
$r = charged(req('alpha'));
like($r->{headers}{'retry-after'} // '', qr/^\d+$/,
     'Retry-After in whole seconds');
ok(($r->{headers}{'retry-after'} // 0) >= 1
   && $r->{headers}{'retry-after'} <= 120, 'Retry-After within 2 minutes')
    or diag('Retry-After ' . ($r->{headers}{'retry-after'} // 'none'));
is(remaining($r), 0, 'a denial says 0 tokens remain');
my $msg = (json_decode($r->{body}) // {})->{error}{message} // '';
like($msg, qr/zone team /, 'the message names the zone');
like($msg, qr/minute/, 'and the window');
unlike($r->{body}, qr/alpha/, 'never the key');

# --- other keys, empty keys, HTTP/2 ----------------------------------------

$t->expect_allowed(req('beta'), 'another key has its own budget');
quiet();
$r = charged(req('beta'));
is(remaining($r), 100 - 18 - 12, 'the second request of a key sees 70');

$r = charged(req(undef, prefix => '/team-only'));
is($r->{status}, 200, 'an empty key is not limited');
ok(!defined remaining($r), 'and has no X-AzOAI-Tokens-Remaining');

SKIP: {
    skip 'curl without HTTP/2', 2 unless curl_h2_available();
    $r = charged(req('gamma', via => 'h2'));
    is($r->{status}, 200, 'HTTP/2 request admitted');
    is(remaining($r), 88, 'HTTP/2: X-AzOAI-Tokens-Remaining');
}

# --- a streamed response's usage is charged -------------------------------

$r = charged(req('delta', headers => [['X-Test-Response', 'sse']]));
is($r->{status}, 200, 'streamed response');
is($r->{body}, AzoaiTest::sse_chat_stream(), 'the stream passes unchanged');
$r = charged(req('delta'));
is(remaining($r), 100 - 18 - 12, 'the stream\'s usage (18) was charged');

# --- a stream without usage: charged its prompt and the text it carried ---
#
# The prompt: "user" + 40 bytes of text = 44 bytes, 11 tokens; max_tokens
# 50 reserves 61.  The upstream streams the 40 bytes back as chat chunks
# without usage: 10 tokens, so 21 are charged, not the 61 reserved.

{
    my $text = 'abcdefghij' x 4;
    my $m0 = scrape();
    $r = charged(req('iota', max => 50,
                     body => '{"messages":[{"role":"user","content":"'
                             . $text . '"}],"max_tokens":50}',
                     headers => [['X-Test-Response', 'echo-sse-7']]));
    is($r->{status}, 200, 'a stream without usage');
    is(remaining($r), 39, 'admitted with 61 reserved');
    like($r->{body}, qr/"content":"abcdefg"/, 'the text streams back');
    unlike($r->{body}, qr/"usage"/, 'and carries no usage');
    $r = charged(req('iota'));
    is(remaining($r), 100 - 21 - 12,
       'charged 11 prompt + 10 completion tokens seen, not the 61 reserved');
    my $m1 = scrape();
    my $e = 'azoai_token_limit_estimated_total{zone="team"}';
    is(($m1->{$e} // 0) - ($m0->{$e} // 0), 1,
       'counted as charged by an estimate');
}

# --- releases: upstream error, client abort -------------------------------

$r = charged(req('epsilon', prefix => '/refused', max => 50));
is($r->{status}, 502, 'upstream refused: 502');
$r = charged(req('epsilon'));
is(remaining($r), 88, 'an upstream failure releases its reservation');

$r = charged(req('zeta', headers => [['X-Test-Response', 'error']]));
is($r->{status}, 404, 'an Azure error without usage');
$r = charged(req('zeta'));
is(remaining($r), 88, 'an error answer without usage releases it');

{
    # probes are answered 404 without usage: they are charged nothing
    my $probe = req('eta', headers => [['X-Test-Response', 'error']],
                    max => 0);
    my $raw = build_request(%{req('eta', prefix => '/hang', max => 50)});
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $t->port) or die "$!";
    print $s $raw;

    my $held;
    for (1 .. 50) {
        $r = $t->request($probe);
        quiet(1);
        $held = remaining($r);
        last if defined $held && $held < 90;
        sleep 0.1;
    }
    is($held, 100 - 52 - 2, 'a request in flight holds its estimate (52)');
    close $s;

    ok(quiet(), 'the aborted request ends');
    $r = charged($probe);
    is(remaining($r), 100 - 2, 'a client abort releases what it held');
}

# --- tokens_per_day ---------------------------------------------------------

$r = charged(req('theta', prefix => '/daily'));
is($r->{status}, 200, 'day budget: first admitted');
$r = charged(req('theta', prefix => '/daily'));
is($r->{status}, 200, 'second admitted (18 < 30)');
$r = charged(req('theta', prefix => '/daily'));
is($r->{status}, 429, 'third denied (36 >= 30)');
$msg = (json_decode($r->{body}) // {})->{error}{message} // '';
like($msg, qr/zone daily .*day/, 'the message names the day window');
my $midnight = 86400 - time % 86400;
ok(abs(($r->{headers}{'retry-after'} // 0) - $midnight) <= 2,
   'Retry-After: until midnight UTC')
    or diag('Retry-After ' . ($r->{headers}{'retry-after'} // 'none'));

# --- hostile input ----------------------------------------------------------

$r = charged(req('k' x 65536));
is($r->{status}, 200, 'a 64 KB key is admitted');
is(remaining($r), 88, 'and counted');
$r = charged(req('k' x 65536));
is(remaining($r), 70, 'as one key');
$r = charged(req('k' x 65535 . 'j'));
is(remaining($r), 88, 'a key differing in its last byte is another');

$r = charged(req('iota', max => '1' . '0' x 30));
is($r->{status}, 200, 'max_tokens 10^30: admitted while budget is left');
is(remaining($r), 0, 'its reservation is capped, and fills the budget');
$r = charged(req('iota'));
is(remaining($r), 100 - 18 - 12, 'then its usage replaces it');

for my $bad (-5, '"many"', 1.5, '1e3') {
    $t->expect_allowed(req("kappa$bad", max => $bad),
                       "max_tokens $bad is left out of the estimate");
}

$r = charged(req('lambda', prefix => '/huge'));
is($r->{status}, 200, 'usage of 9e18 tokens');
$r = charged(req('lambda'));
is($r->{status}, 429, 'is charged (capped) and spends the budget');

$r = charged(req('mu', prefix => '/overflow'));
is($r->{status}, 200, 'usage numbers that overflow');
$r = charged(req('mu'));
is($r->{status}, 200, 'are not charged beyond the estimate');
is(remaining($r), 100 - 12 - 12, 'the estimate (12) stands instead');

# --- reload keeps the counts ------------------------------------------------

ok($t->reload($http), 'reload');
$r = charged(req('alpha'));
is($r->{status}, 429, 'after reload, a spent budget stays spent');
$r = charged(req('beta'));
is(remaining($r), 100 - 36 - 12, 'and a partly spent one keeps its count');

# --- many workers, concurrent clients: the bound ----------------------------
#
# Admitted while used < 1000, each reserving 30 (2 + max_tokens 28) and
# charged 18: at the last admission the earlier ones weighed at least
# 18 each, so 18 * (k - 1) < 1000: k <= 56.  And none is refused while
# reservations and charges stay under 1000: k >= 1000 / 30, so k >= 34.

away_from_minute_edge();

my $before = scrape();
my $CLIENTS = 20;
my $EACH = 6;
my @kids;

for my $c (1 .. $CLIENTS) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $ok = 0;
        for (1 .. $EACH) {
            my $x = $t->request(req('omega', prefix => '/conc', max => 28));
            my $st = $x->{status} // 0;
            $ok++ if $st == 200;
            POSIX::_exit(100) if $st != 200 && $st != 429;
        }
        POSIX::_exit($ok);
    }
    push @kids, $pid;
}

my ($k, $odd) = (0, 0);
for (@kids) {
    waitpid $_, 0;
    my $rc = $? >> 8;
    $rc == 100 ? $odd++ : ($k += $rc);
}
is($odd, 0, 'every concurrent request got 200 or 429');
ok($k >= 34 && $k <= 56, "admitted $k of " . $CLIENTS * $EACH
   . ': within 34 .. 56');

my %pids = map { $_ => 1 } split /\n/, $t->read_file('pids.log') // '';
diag('only one worker served the requests') if keys %pids < 2;

my $after;
my $key = 'azoai_token_limit_tokens_total{zone="conc"}';
for (1 .. 50) {
    $after = scrape();
    last if ($after->{$key} // 0) - ($before->{$key} // 0) >= 18 * $k;
    sleep 0.1;
}
my %d = map { $_ => ($after->{$_} // 0) - ($before->{$_} // 0) }
        keys %$after;
is($d{'azoai_token_limit_requests_total{zone="conc",result="admitted"}'},
   $k, 'metrics: admitted');
is($d{'azoai_token_limit_requests_total{zone="conc",result="limited"}'},
   $CLIENTS * $EACH - $k, 'metrics: limited');
is($d{$key}, 18 * $k, 'metrics: tokens charged');
is($d{'azoai_token_limit_locked_settles_total{zone="conc"}'}, 0,
   'concurrent ends within a minute settle without the lock');
ok(($after->{'azoai_token_limit_keys{zone="team"}'} // 0) >= 10,
   'metrics: keys held');

# --- configuration errors ---------------------------------------------------

for my $bad ('azoai_token_limit_zone $x zone=a:1m;',
             'azoai_token_limit_zone $x zone=a:1m tokens_per_minute=0;',
             'azoai_token_limit_zone $x zone=a:1k tokens_per_minute=5;',
             'azoai_token_limit_zone $x zone=a:1m tokens_per_minute=5 '
                 . 'burst=3;',
             'azoai_token_limit_zone $x tokens_per_minute=5;',
             'server { listen 127.0.0.1:%%PORT_CLOSED%%; '
                 . 'azoai_token_limit zone=nowhere; }')
{
    $t->write_conf($bad, file => 'bad.conf');
    my ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    isnt($rc, 0, "nginx -t refuses: $bad");
    like($out, qr/emerg/, 'with a message') or diag($out);
}

$t->error_log_clean;

done_testing;
