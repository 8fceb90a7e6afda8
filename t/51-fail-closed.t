#!/usr/bin/perl

# Fail closed: when the module cannot inspect a body because of an
# internal error, the request is denied with 500 InternalError and the
# upstream receives nothing (not the unmasked body, not a partial one).
# The error is forced with an LD_PRELOAD shim (tests/preload/failread.c)
# that makes pread() fail with EIO on the files NGINX spools request
# bodies to; client_body_buffer_size 1k makes a 64 KB body go there.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 2);
my $dir = $t->dir;
my $shim = "$dir/failread.so";
my $src = "$FindBin::Bin/../tests/preload/failread.c";
my $cc = $ENV{CC} || 'cc';

my ($rc, $out) = AzoaiTest::_run($cc, qw(-Wall -Wextra -Werror -std=gnu99
    -shared -fPIC -o), $shim, $src, '-ldl');
plan skip_all => "cannot build the LD_PRELOAD shim with $cc: $out"
    if $rc != 0 || !-f $shim;

# workers may run as nobody: the count file must be writable for them
$t->write_file('failread.count', '');
chmod 0666, "$dir/failread.count";

$t->set_env(LD_PRELOAD => $shim,
            AZOAI_FAIL_READ_DIR => "$dir/client_body_temp",
            AZOAI_FAIL_READ_COUNT => "$dir/failread.count");

$t->write_catalog;
$t->write_conf(<<'EOF');
    azoai_catalog %%CATALOG%%;
    client_body_buffer_size 1k;
    client_max_body_size 1m;

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        azoai on;
        azoai_pii on;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_REPORT%%;
        azoai on;
        azoai_mode report;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    # the same, with bodies spooled where the shim lets reads through
    server {
        listen 127.0.0.1:%%PORT_CONTROL%%;
        azoai on;
        azoai_pii on;
        client_body_temp_path %%DIR%%/control_temp;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my @WORKERS = $t->worker_pids;
my $PATH = '/openai/v1/chat/completions';
my $JSON = [['Content-Type', 'application/json']];

# 64 KB, a GA model, and PII that must never leave unmasked
sub big_body {
    my ($extra) = @_;
    return qq({"model":"chat-prod","messages":[{"role":"user","content":")
        . ('lorem ipsum ' x 5500) . ($extra // '') . qq("}]});
}

my $big = big_body();
my $big_pii = big_body('write to jane.doe@example.com');

$t->expect_denied({ method => 'POST', path => $PATH, headers => $JSON,
                    body => $big }, 500, 'InternalError',
                  '64 KB spooled body, read fails');
$t->expect_denied({ method => 'POST', path => $PATH, headers => $JSON,
                    body => $big_pii }, 500, 'InternalError',
                  '64 KB spooled body with PII, read fails');
$t->expect_denied({ method => 'POST', path => $PATH, headers => $JSON,
                    chunked => [unpack '(a8000)*', $big_pii] },
                  500, 'InternalError', 'chunked spooled body, read fails');
$t->expect_denied({ method => 'POST', path => $PATH, headers => $JSON,
                    body => $big, port => $t->port('report') },
                  500, 'InternalError', 'report mode still fails closed');

SKIP: {
    skip 'curl lacks HTTP/2', 2 unless curl_h2_available();
    $t->expect_denied({ via => 'h2', port => $t->port('h2'),
                        method => 'POST', path => $PATH, headers => $JSON,
                        body => $big_pii }, 500, 'InternalError',
                      'HTTP/2 spooled body, read fails');
}

my $failures = length($t->read_file('failread.count') // '');
cmp_ok($failures, '>=', 4, "the shim failed the reads ($failures)");

# the denial message says what failed, and nothing of the body
my $r = $t->request({ method => 'POST', path => $PATH, headers => $JSON,
                      body => $big_pii });
my $j = json_decode($r->{body}) || {};
like($j->{error}{message} // '', qr/could not be inspected/,
     'the message says the body could not be inspected');
unlike($r->{body}, qr/jane|example\.com|lorem/,
       'the error does not echo the body');
unlike($t->error_log, qr/jane\.doe|example\.com/,
       'the error log does not carry the PII');

# what the shim does not touch works: small bodies stay in memory, the
# control server spools to another directory
$t->expect_allowed({ method => 'POST', path => $PATH, headers => $JSON,
                     body => '{"model":"chat-prod","messages":[]}' },
                   'small body in memory: allowed');
$t->expect_allowed({ method => 'POST', path => $PATH, headers => $JSON,
                     body => $big, port => $t->port('control') },
                   'control: 64 KB spooled elsewhere, allowed unchanged');
my $masked = $big_pii =~ s/jane\.doe\@example\.com/[EMAIL]/r;
$t->expect_allowed({ method => 'POST', path => $PATH, headers => $JSON,
                     body => $big_pii, port => $t->port('control') },
                   'control: 64 KB with PII, masked', body => $masked);

# the log: the failed read, said once per request, nothing worse
my @lines = split /\n/, $t->error_log;
ok(scalar(grep { /\[error\].*azoai: cannot read request body/ } @lines)
   >= 4, 'the module logged the read failures, at error level');
my @bad = grep {
    /\[(?:alert|crit|emerg)\]/
        && !/pread\(\) .* failed \(5: /
} @lines;
ok(!@bad, 'no other alert, crit or emerg') or diag(join "\n", @bad);
unlike($t->error_log, qr/exited on signal|segfault/, 'no worker crashed');
is_deeply([$t->worker_pids], \@WORKERS, 'the same workers still serve');

done_testing;
