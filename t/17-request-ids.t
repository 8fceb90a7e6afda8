#!/usr/bin/perl

# Request ids: 32 lower-case hex digits, different for every request,
# across two workers and across a reload (each worker process keys its own
# generator), and the same id on both sides of one request.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 2);

$t->write_catalog;
$t->write_conf(<<'EOF');
    log_format ids '$azoai_request_id $pid';

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        azoai on;
        azoai_catalog %%CATALOG%%;
        access_log %%DIR%%/ids.log ids;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $N = 60;
my (%seen, @bad);

sub send_requests {
    for (1 .. $N) {
        my $r = http_request($t->port, method => 'GET',
                             path => '/openai/v1/models',
                             headers => [['Connection', 'close']]);
        my $id = $r->{headers}{'x-azoai-request-id'} // '';
        push @bad, $id if $id !~ /^[0-9a-f]{32}$/;
        $seen{$id}++;
    }
}

send_requests();
$t->reload;
send_requests();

is(scalar @bad, 0, 'every id is 32 lower-case hex digits')
    or diag(join ' ', @bad[0 .. 4]);
is(scalar(keys %seen), 2 * $N, 'no id repeats, before or after a reload');

my @up = $t->upstream_requests;
my %up = map { ($_->{headers}{'x-azoai-request-id'} // '') => 1 } @up;
is(scalar(grep { $up{$_} } keys %seen), 2 * $N,
   'the upstream saw the same ids as the clients');

my $line = $t->access_log_wait(qr/^[0-9a-f]{32} \d+$/, 'ids.log');
ok($line, 'the access log carries the id');
my %pids = map { (split / /)[1] => 1 }
           split /\n/, $t->read_file('ids.log') // '';
diag('only one worker served the requests') if keys %pids < 2;

$t->error_log_clean;

done_testing;
