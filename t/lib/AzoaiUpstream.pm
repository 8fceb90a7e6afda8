package AzoaiUpstream;

# A scripted stand-in upstream for tests that need responses the recording
# upstream of AzoaiTest does not make (hostile streams, exact write
# boundaries, pauses).  Each request is answered with the list of writes
# named by the value of one of its headers, then the connection is closed:
#
#   use AzoaiUpstream qw(sse_head json_response);
#   my $up = AzoaiUpstream->new(header => 'X-Hostile');
#   ... proxy_pass http://$up->addr ...
#   my %RESPONSE = (big => [sse_head() . $event, \0.02, $more]);
#   $up->start(\%RESPONSE);
#
# A list holds strings (each written whole) and references to numbers
# (seconds to sleep before the next write).  An unknown or missing name
# gets json_response('{}').  The server is a forked process group (one
# child per connection) that start() leaves running; the responses are
# those of the time of start().  It is killed at exit, or by stop().

use strict;
use warnings;

use Exporter 'import';
use IO::Socket::INET;
use POSIX ();
use Time::HiRes ();

our @EXPORT_OK = qw(sse_head json_response);

my @RUNNING;

# the head of an event stream response
sub sse_head {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        . "Connection: close\r\n\r\n";
}

# a complete JSON response; EXTRA header lines go before Content-Length
sub json_response {
    my ($body, @extra) = @_;
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        . join('', map { "$_\r\n" } @extra)
        . 'Content-Length: ' . length($body) . "\r\nConnection: close\r\n\r\n"
        . $body;
}

# listens on a free 127.0.0.1 port at once (so that the configuration can
# name it); header => the request header that names the response
sub new {
    my ($class, %o) = @_;
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Proto => 'tcp', Listen => 64,
                                     ReuseAddr => 1)
        or die "listen: $!";
    return bless { sock => $sock, header => $o{header} || 'X-Response',
                   addr => '127.0.0.1:' . $sock->sockport }, $class;
}

sub addr { $_[0]->{addr} }

sub start {
    my ($self, $responses) = @_;
    my $pid = fork // die "fork: $!";

    if ($pid) {
        close $self->{sock};
        $self->{pid} = $pid;
        push @RUNNING, $pid;
        return $self;
    }
    setpgrp(0, 0);
    $SIG{PIPE} = 'IGNORE';
    $SIG{CHLD} = 'IGNORE';
    while (1) {
        my $c = $self->{sock}->accept or next;
        my $kid = fork;
        if (defined $kid && $kid == 0) {
            eval { _serve($c, $self->{header}, $responses) };
            POSIX::_exit(0);
        }
        close $c;
    }
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'TERM', -$self->{pid};
    @RUNNING = grep { $_ != $self->{pid} } @RUNNING;
    delete $self->{pid};
}

# reads the request (head and Content-Length body), writes the response
sub _serve {
    my ($c, $header, $responses) = @_;
    my $buf = '';
    binmode $c;
    while (index($buf, "\r\n\r\n") < 0) {
        sysread($c, $buf, 65536, length $buf) or return;
    }
    my ($len) = $buf =~ /\r\nContent-Length:\s*(\d+)/i;
    my ($name) = $buf =~ /\r\n\Q$header\E:\s*(\S+)/i;
    while (length($buf) < index($buf, "\r\n\r\n") + 4 + ($len || 0)) {
        sysread($c, $buf, 65536, length $buf) or return;
    }
    my $w = $responses->{$name || ''} || [json_response('{}')];
    for my $i (0 .. $#$w) {
        my $p = $w->[$i];
        if (ref $p) {
            Time::HiRes::sleep($$p);
            next;
        }
        while (length $p) {
            my $n = syswrite($c, $p) // return;
            substr($p, 0, $n, '');
        }
    }
    close $c;
}

END { kill 'TERM', -$_ for @RUNNING; }

1;
