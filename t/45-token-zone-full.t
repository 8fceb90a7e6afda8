#!/usr/bin/perl

# A full token zone: the smallest zone (32 KB: 320 keys) flooded with
# 800 keys evicts the least recently used ones, says so in the error log
# once a minute at most, never with a key, and keeps serving.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 1, error_log_level => 'warn');

$t->write_catalog;
$t->write_conf(<<'EOF');
    azoai_catalog %%CATALOG%%;
    azoai_metrics_zone azoai 1m;
    azoai_token_limit_zone $http_x_team zone=tiny:32k tokens_per_minute=20;

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_token_limit zone=tiny;

        location / {
            proxy_pass http://127.0.0.1:%%PORT_AZURE%%;
        }
        location = /metrics {
            azoai_metrics;
        }
    }

    # a quick stand-in for Azure: 800 requests in a few seconds
    server {
        listen 127.0.0.1:%%PORT_AZURE%%;
        default_type application/json;
        return 200 '{"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}';
    }
EOF
$t->start;

my $chat = '/openai/deployments/chat-prod/chat/completions'
    . '?api-version=2024-10-21';

sub send_as {
    my ($team) = @_;
    return $t->request({ method => 'POST', path => $chat,
        headers => [['Content-Type', 'application/json'],
                    ($team =~ /^flood/ ? () : ['Connection', 'close']),
                    ['X-Team', $team]],
        body => '{"messages":[{"role":"user","content":"hi"}]}' });
}

sub metric {
    my ($name) = @_;
    my $r = http_request($t->port, method => 'GET', path => '/metrics');
    my ($v) = ($r->{body} // '') =~ /^\Q$name\E\s+(\d+)$/m;
    return $v;
}

# spend the first key's budget: 18 + 18 >= 20
is(send_as('first-team-secret')->{status}, 200, 'first key admitted');
is(send_as('first-team-secret')->{status}, 200, 'admitted (18 < 20)');
is(send_as('first-team-secret')->{status}, 429, 'then limited');

my %status;
$status{send_as("flood-$_")->{status}}++ for 1 .. 800;
is_deeply(\%status, { 200 => 800 }, '800 new keys admitted');

my $keys = metric('azoai_token_limit_keys{zone="tiny"}');
my $evicted = metric('azoai_token_limit_evictions_total{zone="tiny"}');
ok(defined $keys && $keys > 200 && $keys <= 320,
   'the zone holds what fits') or diag('keys ' . ($keys // 'none'));
ok(defined $evicted && $evicted >= 800 + 1 - 320,
   'the rest were evicted') or diag('evicted ' . ($evicted // 'none'));

is(send_as('first-team-secret')->{status}, 200,
   'the least recently used key was evicted: its budget starts again');

my @told = grep { /token zone "tiny" is full/ } split /\n/, $t->error_log;
is(scalar @told, 1, 'the error log says so once (rate-limited)');
like($told[0] // '', qr/\[warn\].*\d+ least recently used key/,
     'at warn, with a count');
unlike($t->error_log, qr/first-team-secret|flood-/,
       'no key in the error log');

$t->error_log_clean;

done_testing;
